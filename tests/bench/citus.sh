#!/usr/bin/env bash
# Plain PostgreSQL next to Citus, same run (on demand, not in CI; `.ci/citus
# bench` starts the cluster and calls this). Three targets, one after the
# other, each in a schema of its own made for the run and dropped after it:
#
#   postgres        the PostgreSQL on 5432 (batch INSERTs as arrays, the default)
#   citus           the coordinator, the same (Citus pulls those INSERTs
#                   through the coordinator)
#   citus-values    the coordinator, batch INSERTs as VALUES lists
#                   (SMRM_BATCH_INSERTS=values: routed to the tenant's shard)
#
# For each: a release server on a fresh schema, tests/bench/ingest.py
# (POSTS posts, default 100,000, batches of 1,000, 100 brands), then
# tests/bench/reports.py (MENTIONS mentions, default 200,000, then report,
# search and listing latencies), ANALYZE after the load.
#
#   cargo build --release -p smrm-api
#   tests/bench/citus.sh postgres://postgres@127.0.0.1:9700 [postgres://postgres@127.0.0.1:5432]
#
# The databases: `test` on both (the coordinator's has the citus extension).
# Loopback only; needs python3, psql and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
CITUS=${1:?usage: tests/bench/citus.sh postgres://…coordinator [postgres://…plain]}
PLAIN=${2:-postgres://postgres@127.0.0.1:5432}
BIN="${BIN:-./target/release/smrm}"
[ -x "$BIN" ] || { echo "build it first: cargo build --release -p smrm-api" >&2; exit 1; }
POSTS=${POSTS:-100000}
MENTIONS=${MENTIONS:-200000}
PORT=${PORT:-18097}
ONLY=${ONLY:-postgres citus citus-values}
OUT=$(mktemp -d)
SERVER=
stop_server() {
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=
  fi
}
trap stop_server EXIT
if curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
  echo "something already answers on 127.0.0.1:$PORT: stop it or set PORT" >&2
  exit 1
fi

run() { # name server-url batch-inserts
  local name=$1 url=$2 form=$3 schema="bench_${1//-/_}"
  psql -X -q -v ON_ERROR_STOP=1 "$url/test" -c "DROP SCHEMA IF EXISTS $schema CASCADE" -c "CREATE SCHEMA $schema"
  local db="$url/test?options=-c%20search_path%3D$schema"
  DATABASE_URL="$db" SMRM_BATCH_INSERTS=$form SMRM_ADDR=127.0.0.1:$PORT RUST_LOG=error \
    SMRM_JWT_SECRET=benchmark-secret-of-at-least-32-chars SMRM_SECRETS_KEY=$(printf "%064d" 1) \
    SMRM_RATE_LIMIT_PER_MINUTE=10000000 SMRM_AUTH_RATE_LIMIT_PER_MINUTE=10000000 \
    "$BIN" serve >"$OUT/$name.server.log" 2>&1 &
  SERVER=$!
  local up=
  for _ in $(seq 1 600); do
    kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/$name.server.log"; exit 1; }
    if curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then up=1; break; fi
    sleep 0.2
  done
  [ -n "$up" ] || { echo "the $name server did not answer in 120 s" >&2; cat "$OUT/$name.server.log"; exit 1; }
  echo "== $name ($form batch INSERTs)"
  python3 tests/bench/ingest.py --base "http://127.0.0.1:$PORT" --posts "$POSTS" | tee "$OUT/$name.ingest"
  python3 tests/bench/reports.py --base "http://127.0.0.1:$PORT" --mentions "$MENTIONS" \
    --after-load "psql -X -q '$db' -c ANALYZE" | tee "$OUT/$name.reports"
  stop_server
  psql -X -q "$url/test" -c "DROP SCHEMA $schema CASCADE" 2>/dev/null || true
}

for target in $ONLY; do
  case $target in
    postgres) run postgres "$PLAIN" arrays ;;
    citus) run citus "$CITUS" arrays ;;
    citus-values) run citus-values "$CITUS" values ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
  esac
done

echo
echo "== side by side"
for target in $ONLY; do
  printf '%-13s %s | %s\n' "$target" "$(grep -h '^posts/s' "$OUT/$target.ingest")" \
    "$(grep -h 'batch latency' "$OUT/$target.ingest")"
done
for line in "SoV 10 brands, 90 days, daily: uncached" "SoV 30 days on whole hours: uncached" \
  "sentiment 90 days, daily: uncached" "mentions, first page of a brand (50)" "search, ~1 % of posts"; do
  for target in $ONLY; do
    printf '%-13s %s\n' "$target" "$(grep -hF "$line" "$OUT/$target.reports")"
  done
done
rm -rf "$OUT"
