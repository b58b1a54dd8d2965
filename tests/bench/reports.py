#!/usr/bin/env python3
"""Report latency benchmark: loads N mentions (default 1,000,000) of a
10-brand competitor set over 90 days into a running SMRM server (use
PostgreSQL and a release build), then measures Share of Voice (90 days, daily)
uncached (each request a distinct period, so a cache miss) and cached, and the
sentiment report, reporting p50/p95 client-side latency.

    python3 tests/bench/reports.py --base http://127.0.0.1:8080 --mentions 1000000

Standard library only; loopback only; bounded in count and time.
"""
import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.client import HTTPConnection
from urllib.parse import urlparse


def call(base, method, path, token=None, body=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read() or b"null")


NAMES = ["Daynet", "Megasvyaz", "Telelink", "Gigawave", "Netline", "Mobicom", "Bankcom", "Techlink", "Wavenet", "Linkline"]
PLATFORMS = [("vk", "social"), ("telegram", "social"), ("otzovik", "review"), ("pikabu", "forum"), ("lenta", "news")]
LABELS = ["positive", "neutral", "negative"]


def posts(batch, size, start):
    out = []
    for k in range(size):
        i = batch * size + k
        platform, source = PLATFORMS[i % 5]
        at = start + dt.timedelta(seconds=(i * 7919) % (90 * 86400))
        out.append({"external_id": f"r{i}", "platform": platform, "source_type": source,
                    "text": f"{NAMES[i % 10]} сегодня {i % 97}", "published_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "author": {"handle": f"@u{i % 20000}"}, "sentiment": LABELS[i % 3],
                    "likes": i % 40, "comments": i % 9, "reposts": i % 4, "reach": i % 3000})
    return out


def timed(base, path, token, n, headers=None):
    u = urlparse(base)
    conn = HTTPConnection(u.hostname, u.port, timeout=60)
    out = []
    for k in range(n):
        p = path(k) if callable(path) else path
        t0 = time.perf_counter()
        conn.request("GET", p, headers={"authorization": "Bearer " + token, **(headers or {})})
        r = conn.getresponse()
        r.read()
        out.append((time.perf_counter() - t0) * 1000)
        if r.status not in (200, 304):
            sys.exit(f"GET {p}: {r.status}")
    return out


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--mentions", type=int, default=1_000_000)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--after-load", default="",
                    help="a shell command run once the mentions are in, before measuring; e.g. an ANALYZE where "
                         "PostgreSQL runs without autovacuum (as on the development machine)")
    a = ap.parse_args()
    if not a.base.startswith(("http://127.", "http://localhost")):
        sys.exit("loopback targets only")
    token = call(a.base, "POST", "/v1/signup", body={"tenant_name": "Bench", "email": f"r-{uuid.uuid4().hex}@bench.example",
                                                     "password": "benchmark password"})["access_token"]
    key = call(a.base, "POST", "/v1/api-keys", token, {"name": "bench", "role": "analyst"})["key"]
    ids = [call(a.base, "POST", "/v1/brands", key, {"name": n, "keywords": [n]})["id"] for n in NAMES]
    set_id = call(a.base, "POST", "/v1/competitor-sets", key, {"name": "Bench set", "brand_id": ids[0], "competitor_ids": ids[1:]})["id"]
    time.sleep(2)
    start = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    batches = list(range(a.mentions // 1000))
    t0 = time.perf_counter()
    def worker(mine):
        for b in mine:
            call(a.base, "POST", "/v1/mentions/batch", key, {"items": posts(b, 1000, start)})
    threads = [threading.Thread(target=worker, args=(batches[w::a.concurrency],)) for w in range(a.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"loaded {a.mentions:,} mentions in {time.perf_counter() - t0:.0f} s")
    if a.after_load:
        subprocess.run(a.after_load, shell=True, check=True)

    base_from = start
    def sov(k):
        f = (base_from + dt.timedelta(hours=k)).strftime("%Y-%m-%dT%H:%M:%SZ")
        t = (base_from + dt.timedelta(days=90, hours=k)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"/v1/competitor-sets/{set_id}/share-of-voice?from={f}&to={t}&granularity=day&tz=Europe/Moscow"
    # 30 days, daily, as a portal asks ("the last 30 days until now"): from
    # and to inside hours (minutes and seconds), 200 distinct periods, so each
    # sums two partial hours at its edges; and the same on whole hours.
    def sov30(k, aligned):
        f = base_from + dt.timedelta(days=30, hours=k)
        if not aligned:
            f += dt.timedelta(minutes=1 + k % 58, seconds=k % 60)
        t = f + dt.timedelta(days=30, minutes=0 if aligned else 13)
        return (f"/v1/competitor-sets/{set_id}/share-of-voice?from={f.strftime('%Y-%m-%dT%H:%M:%SZ')}"
                f"&to={t.strftime('%Y-%m-%dT%H:%M:%SZ')}&granularity=day&tz=Europe/Moscow")
    unaligned = timed(a.base, lambda k: sov30(k, False), key, 200)
    aligned = timed(a.base, lambda k: sov30(k + 300, True), key, 200)
    uncached = timed(a.base, sov, key, 100)
    cached = timed(a.base, sov(0), key, 500)
    sent = lambda k: f"/v1/brands/{ids[0]}/sentiment?from={(base_from + dt.timedelta(hours=k)).strftime('%Y-%m-%dT%H:%M:%SZ')}" \
                     f"&to={(base_from + dt.timedelta(days=90, hours=k)).strftime('%Y-%m-%dT%H:%M:%SZ')}&tz=Europe/Moscow"
    sent_uncached = timed(a.base, sent, key, 100)
    # Text search: a string no post holds, one in ~1 % of the posts, and an
    # export of the ~0.1 % holding a longer one (it reads every mention once).
    q = lambda s: "q=" + urllib.parse.quote(s)
    search_none = timed(a.base, f"/v1/mentions?limit=50&{q('не встречается нигде')}", key, 50)
    search_some = timed(a.base, f"/v1/mentions?limit=50&{q('сегодня 42')}", key, 50)
    search_export = timed(a.base, f"/v1/mentions/export.csv?{q('linkline сегодня 42')}", key, 5)
    # Listing: the first page, and pages deep in the keyset walk.
    first_page = timed(a.base, f"/v1/mentions?limit=50&brand_id={ids[0]}", key, 100)
    cursor = None
    deep = []
    u = urlparse(a.base)
    conn = HTTPConnection(u.hostname, u.port, timeout=60)
    for k in range(300):
        path = "/v1/mentions?limit=200" + (f"&cursor={cursor}" if cursor else "")
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"authorization": "Bearer " + key})
        body = json.loads(conn.getresponse().read())
        if k >= 200:
            deep.append((time.perf_counter() - t0) * 1000)
        cursor = body["next_cursor"]
        if not cursor:
            break
    for name, xs in [("SoV 10 brands, 90 days, daily: uncached", uncached), ("SoV cached", cached),
                     ("SoV 30 days from/to inside hours: uncached", unaligned),
                     ("SoV 30 days on whole hours: uncached", aligned),
                     ("sentiment 90 days, daily: uncached", sent_uncached),
                     ("search, no match: first page", search_none),
                     ("search, ~1 % of posts: first page (50)", search_some),
                     ("search, ~0.1 % of posts: CSV export", search_export),
                     ("mentions, first page of a brand (50)", first_page),
                     ("mentions, pages 200-300 (200 each)", deep or [0.0])]:
        print(f"{name:45s} p50 {statistics.median(xs):7.2f} ms   p95 {pct(xs, 0.95):7.2f} ms")


if __name__ == "__main__":
    main()
