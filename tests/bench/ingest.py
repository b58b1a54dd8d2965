#!/usr/bin/env python3
"""HTTP ingest benchmark: 100,000 posts in batches of 1,000 against 100 brands
of 3 keywords each, over a running SMRM server. Reports posts/s and mentions/s.

Start the server first (release build, PostgreSQL), for example:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smrm_bench \
    SMRM_JWT_SECRET=benchmark-secret-of-at-least-32-chars SMRM_SECRETS_KEY=$(printf "%064d" 1) \
    SMRM_ADDR=127.0.0.1:8080 cargo run --release

then:  python3 tests/bench/ingest.py --base http://127.0.0.1:8080

Only the standard library; bounded in count and time; loopback only.
"""
import argparse
import json
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

RU = ["мега", "теле", "связ", "нет", "лайн", "ком", "мобил", "банк", "тех", "сеть"]
EN = ["giga", "tele", "link", "net", "line", "com", "mobi", "bank", "tech", "wave"]


def name(i, stems):
    return stems[i % 10] + stems[(i // 10) % 10] + "ix"


def call(base, method, path, token=None, body=None, timeout=120):
    if isinstance(body, bytes):  # pre-encoded, so the client's JSON work stays out of the timing
        data = body
    else:
        data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {path}: {e.code} {e.read()[:500]!r}")


def posts(batch, size, brands):
    filler_ru = "вчера звонил в поддержку и ждал ответа почти час, оператор вежливый но проблему так и не решили"
    filler_en = "called support yesterday and waited almost an hour, the agent was polite but nothing got fixed"
    out = []
    for k in range(size):
        i = batch * size + k
        filler = filler_ru if i % 2 == 0 else filler_en
        b = i % brands
        if i % 3 == 0:
            text = f"{filler} {name(b, RU)}ом и #{name(b, EN)}"
        elif i % 3 == 1:
            text = f"{filler} {name(b, EN)} vs {name((b + 1) % brands, EN)} pro"
        else:
            text = f"{filler} сегодня опять"
        out.append({
            "external_id": f"bench-{i}",
            "platform": "vk" if i % 2 == 0 else "telegram",
            "source_type": "social",
            "text": text,
            "published_at": f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
            "author": {"handle": f"@user{i % 5000}", "followers": i % 10000},
            "likes": i % 50, "comments": i % 7, "reposts": i % 3, "views": i % 1000,
        })
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--brands", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=2)
    a = ap.parse_args()
    if not a.base.startswith(("http://127.", "http://localhost", "http://[::1]")):
        sys.exit("loopback targets only")

    email = f"bench-{uuid.uuid4().hex}@bench.example"
    token = call(a.base, "POST", "/v1/signup",
                 body={"tenant_name": "Bench", "email": email, "password": "benchmark password"})["access_token"]
    key = call(a.base, "POST", "/v1/api-keys", token, {"name": "bench", "role": "analyst"})["key"]
    for b in range(a.brands):
        call(a.base, "POST", "/v1/brands", key, {
            "name": f"Brand {b}", "keywords": [name(b, RU), name(b, EN), f"{name(b, EN)} pro"]})

    # Steady state: every brand's backfill (of an empty tenant) has finished.
    for _ in range(600):
        page = call(a.base, "GET", "/v1/brands?limit=200", key)["data"]
        if all(b["backfill"]["status"] == "done" for b in page):
            break
        time.sleep(0.1)

    batches = list(range(a.posts // a.batch))
    payloads = {i: json.dumps({"items": posts(i, a.batch, a.brands)}).encode() for i in batches}
    latencies, created, lock = [], [0], threading.Lock()

    def worker(mine):
        for i in mine:
            t0 = time.perf_counter()
            r = call(a.base, "POST", "/v1/mentions/batch", key, payloads[i])
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                created[0] += r["created"]

    threads = [threading.Thread(target=worker, args=(batches[w::a.concurrency],)) for w in range(a.concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    print(f"posts: {a.posts}  batches: {len(batches)} x {a.batch}  brands: {a.brands}  concurrency: {a.concurrency}")
    print(f"mentions created: {created[0]}  wall: {wall:.2f} s")
    print(f"posts/s: {a.posts / wall:,.0f}  mentions/s: {created[0] / wall:,.0f}")
    print(f"batch latency: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {sorted(latencies)[int(len(latencies) * 0.95) - 1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
