// Compiles against the types openapi-typescript generated from the spec:
// a client's calls and answers typed as the document says.
import type { paths, components } from "./smrm";

type BatchBody = paths["/v1/mentions/batch"]["post"]["requestBody"]["content"]["application/json"];
type BatchAnswer = paths["/v1/mentions/batch"]["post"]["responses"]["200"]["content"]["application/json"];
type Mention = components["schemas"]["Mention"];
type Problem = components["schemas"]["Problem"];

const body: BatchBody = {
  items: [
    {
      external_id: "1",
      platform: "vk",
      source_type: "social",
      text: "Дейнет",
      published_at: "2026-11-20T10:00:00Z",
      author: { handle: "@ivan" },
    },
  ],
};

export function created(a: BatchAnswer): number {
  return a.created + a.duplicates + a.unmatched;
}

export function label(m: Mention): "positive" | "neutral" | "negative" {
  return m.sentiment.label;
}

export function field(p: Problem): string | undefined {
  return p.errors?.[0]?.field;
}

export const example = body;
