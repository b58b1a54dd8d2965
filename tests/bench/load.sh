#!/usr/bin/env bash
# Load benchmark (on demand, not in CI): wrk against a cached report and
# against a bare endpoint (/healthz) of the same release server, in one run.
# Sends Accept-Encoding: gzip as HTTP clients do (ENCODING=identity for
# plain answers). Alternates the two ROUNDS times (3 by default) and prints each run's
# requests/s and p50/p99 latency, the ratio of the medians (target >= 0.5)
# and the server's memory under load.
#
#   cargo build --release -p smrm-api
#   tests/bench/load.sh                 # SQLite + in-process cache and limits
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/smrm_bench REDIS_URL=redis://127.0.0.1:6379 \
#     SMRM_JWT_SECRET=benchmark-secret-of-at-least-32-chars SMRM_SECRETS_KEY=$(printf "%064d" 1) tests/bench/load.sh
#
# Needs wrk (Debian: apt-get install wrk). Loopback only. Rate limits are
# raised so that the run measures serving, not limiting; the limiter still
# runs on every /v1 request (in Redis when REDIS_URL is set).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
BIN="${BIN:-./target/release/smrm}" # BIN=/path/to/another/smrm compares binaries
[ -x "$BIN" ] || { echo "build it first: cargo build --release -p smrm-api" >&2; exit 1; }

WORK="$(mktemp -d)"
PORT="${PORT:-18098}"
DURATION="${DURATION:-10s}"
ROUNDS="${ROUNDS:-3}"
# What the client accepts, as HTTP clients send it (browsers, requests, fetch
# send gzip); ENCODING=identity measures uncompressed answers.
ENCODING="${ENCODING:-gzip}"
CONNECTIONS="${CONNECTIONS:-32}"
export DATABASE_URL="${DATABASE_URL:-sqlite://$WORK/load.db?mode=rwc}"
export SMRM_ADDR="127.0.0.1:$PORT" RUST_LOG=error
export SMRM_RATE_LIMIT_PER_MINUTE=10000000 SMRM_AUTH_RATE_LIMIT_PER_MINUTE=10000000

echo "filling a demo tenant…"
DEMO="$("$BIN" demo 2>/dev/null)"
KEY="$(grep -o 'smrm_[A-Za-z0-9]\{64\}' <<<"$DEMO" | head -n1)"
REPORT="$(grep -o "http://[^\"]*/sentiment?[^\"]*" <<<"$DEMO" | head -n1)"
REPORT="$(eval "echo \"$REPORT\"")" # expand the $(date …) of the printed line
REPORT="${REPORT/127.0.0.1:8080/127.0.0.1:$PORT}"
REPORT="${REPORT/$(sed -n 's|^\(http://[^/]*\).*|\1|p' <<<"$REPORT")/http://127.0.0.1:$PORT}"

"$BIN" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
SIZE="$(curl -sf -o /dev/null -w '%{size_download}' -H "Accept-Encoding: $ENCODING" -H "Authorization: Bearer $KEY" "$REPORT")" # warm the cache
echo "Accept-Encoding: $ENCODING; the report answers $SIZE bytes; /healthz $(curl -sf -o /dev/null -w '%{size_download}' "http://127.0.0.1:$PORT/healthz")" >&2

run() { # name, url, [header]
  local out
  if [ -n "${3:-}" ]; then
    out="$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Accept-Encoding: $ENCODING" -H "$3" "$2")"
  else
    out="$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Accept-Encoding: $ENCODING" "$2")"
  fi
  local rps p50 p99
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  local non2xx; non2xx="$(awk '/Non-2xx/ {print $5}' <<<"$out")"
  echo "$1: ${rps} req/s, p50 ${p50}, p99 ${p99}${non2xx:+, NON-2XX: $non2xx}" >&2
  echo "$rps"
}

# Alternate the two, ROUNDS times, and compare medians: this machine's
# throughput drifts by 10-15 % between runs of the same thing.
bares=() reports=()
for round in $(seq 1 "$ROUNDS"); do
  bares+=("$(run "round $round  bare   GET /healthz" "http://127.0.0.1:$PORT/healthz")")
  reports+=("$(run "round $round  report GET /v1/brands/{id}/sentiment (cached)" "$REPORT" "Authorization: Bearer $KEY")")
done
rss="$(awk '/VmRSS/ {print $2/1024 " MiB"}' "/proc/$SERVER/status")"
peak="$(awk '/VmHWM/ {print $2/1024 " MiB"}' "/proc/$SERVER/status")"
python3 - "${bares[*]}" "${reports[*]}" <<'PY'
import statistics, sys
bare = [float(x) for x in sys.argv[1].split()]
report = [float(x) for x in sys.argv[2].split()]
ratios = [r / b for r, b in zip(report, bare)]
print(f"median bare {statistics.median(bare):,.0f} req/s, median report {statistics.median(report):,.0f} req/s")
print(f"ratio report/bare: {statistics.median(report) / statistics.median(bare):.2f} (target >= 0.5); "
      f"per round {', '.join(f'{r:.2f}' for r in ratios)}")
PY
echo "server memory after the runs: RSS $rss, peak $peak"
