#!/usr/bin/env python3
"""Fills a fresh tenant of a running SMRM server with ~600 Russian and English
mentions over 30 days (a brand, two competitors, a set) and saves the HTML
reputation audit. Used for the README's screenshot.

    python3 tests/bench/audit_sample.py --base http://127.0.0.1:8080 --out audit.html
"""
import argparse
import datetime as dt
import json
import random
import urllib.request
import uuid


def call(base, method, path, token=None, body=None, accept="application/json"):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None, method=method)
    req.add_header("content-type", "application/json")
    req.add_header("accept", accept)
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as r:
        raw = r.read()
        return raw if accept != "application/json" else json.loads(raw or b"null")


TEXTS = {
    "positive": ["Доволен {b}ом, интернет летает!", "{b} — лучший провайдер в районе", "Thanks {b}, great support today",
                 "Подключили {b} за день, спасибо", "Love the new {b} app"],
    "neutral": ["Кто пользуется {b}? Как тарифы?", "{b} changed its pricing page", "Переехал, переношу {b} на новый адрес"],
    "negative": ["{b} опять не работает третий день", "Ужасная поддержка {b}, час на линии", "{b} charged me twice, awful",
                 "Верните деньги, {b}!", "{b} is down again in Moscow"],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8080")
    ap.add_argument("--out", default="audit.html")
    a = ap.parse_args()
    rnd = random.Random(7)
    token = call(a.base, "POST", "/v1/signup", body={"tenant_name": "Demo agency", "email": f"demo-{uuid.uuid4().hex[:8]}@demo.example",
                                                     "password": "demo password 123"})["access_token"]
    call(a.base, "PATCH", "/v1/tenant", token, {"timezone": "Europe/Moscow"})
    brands = {}
    for name, kw in [("Daynet", ["Дейнет", "Daynet"]), ("Megasvyaz", ["Мегасвязь", "Megasvyaz"]), ("Telelink", ["Телелинк", "Telelink"])]:
        brands[name] = call(a.base, "POST", "/v1/brands", token, {"name": name, "keywords": kw})["id"]
    set_id = call(a.base, "POST", "/v1/competitor-sets", token, {"name": "Moscow home internet", "brand_id": brands["Daynet"],
                                                                 "competitor_ids": [brands["Megasvyaz"], brands["Telelink"]]})["id"]
    end = dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc)
    items = []
    for i in range(600):
        brand = rnd.choices(["Дейнет", "Daynet", "Мегасвязь", "Телелинк"], [4, 2, 3, 2])[0]
        day = rnd.randrange(30)
        late = day < 7
        label = rnd.choices(["positive", "neutral", "negative"], [3, 3, 5 if late else 2])[0]
        text = rnd.choice(TEXTS[label]).format(b=brand)
        source, platform = rnd.choice([("social", "vk"), ("social", "telegram"), ("review", "otzovik"), ("forum", "pikabu"), ("news", "lenta")])
        at = end - dt.timedelta(days=day, minutes=rnd.randrange(1440))
        items.append({"external_id": f"demo-{i}", "platform": platform, "source_type": source, "text": text,
                      "published_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "sentiment": label,
                      "author": {"handle": f"@user{rnd.randrange(60)}", "followers": rnd.randrange(20000)},
                      "likes": rnd.randrange(80), "comments": rnd.randrange(20), "reposts": rnd.randrange(10), "reach": rnd.randrange(5000)})
    for k in range(0, len(items), 200):
        call(a.base, "POST", "/v1/mentions/batch", token, {"items": items[k:k + 200]})
    q = f"competitor_set_id={set_id}&from=2026-10-26T21:00:00Z&to=2026-11-25T21:00:00Z"
    html = call(a.base, "GET", f"/v1/brands/{brands['Daynet']}/audit?{q}", token, accept="text/html")
    with open(a.out, "wb") as f:
        f.write(html)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
