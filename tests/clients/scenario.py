"""A client's first day, through the Python client generated from the spec
(openapi-python-client): signup -> brand -> ingest -> report. Run by
.ci/clients against a live server; exits non-zero on any surprise.

    python3 tests/clients/scenario.py http://127.0.0.1:18099
"""
import datetime
import sys
import time
import uuid

from smrm_api_client import AuthenticatedClient, Client
from smrm_api_client.api.access import access_signup
from smrm_api_client.api.brands import brands_create, brands_get_one
from smrm_api_client.api.mentions import mentions_batch, mentions_list
from smrm_api_client.api.reports import reports_sentiment
from smrm_api_client.models import BatchRequest, NewBrand, Post, PostAuthor, SentimentLabel, Signup, SourceType


def check(cond, what):
    if not cond:
        sys.exit(f"scenario failed: {what}")


def main(base):
    anon = Client(base_url=base, raise_on_unexpected_status=True)
    email = f"client-{uuid.uuid4().hex[:12]}@example.com"
    signed = access_signup.sync(
        client=anon, body=Signup(tenant_name="Generated Client", email=email, password="a client password")
    )
    check(signed is not None and signed.access_token, "signup gives a token")
    api = AuthenticatedClient(base_url=base, token=signed.access_token, raise_on_unexpected_status=True)

    brand = brands_create.sync(client=api, body=NewBrand(name="Дейнет", keywords=["Дейнет", "Daynet"]))
    check(brand is not None and brand.name == "Дейнет", "brand created")
    for _ in range(50):  # the backfill of an empty tenant finishes at once
        if brands_get_one.sync(client=api, id=brand.id).backfill.status == "done":
            break
        time.sleep(0.1)

    published = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.timezone.utc)
    posts = [
        Post(external_id="c1", platform="vk", source_type=SourceType.SOCIAL, text="Дейнетом доволен, всё работает",
             published_at=published, author=PostAuthor(handle="@ivan"), sentiment=SentimentLabel.POSITIVE),
        Post(external_id="c2", platform="x", source_type=SourceType.SOCIAL, text="Daynet is down again",
             published_at=published, author=PostAuthor(handle="@jane"), sentiment=SentimentLabel.NEGATIVE),
        Post(external_id="c3", platform="vk", source_type=SourceType.SOCIAL, text="просто пост",
             published_at=published, author=PostAuthor(handle="@ivan")),
    ]
    batch = mentions_batch.sync(client=api, body=BatchRequest(items=posts))
    check(batch.received == 3 and batch.created == 2 and batch.unmatched == 1, f"batch counts: {batch}")
    listed = mentions_list.sync(client=api, brand_id=brand.id)
    check(len(listed.data) == 2, "two mentions listed")

    report = reports_sentiment.sync(
        client=api,
        id=brand.id,
        from_=datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc),
        to=datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc),
    )
    check(report.all_.total == 2 and report.all_.positive == 1 and report.all_.negative == 1, f"report: {report}")
    print("python client scenario: signup -> brand -> ingest -> report OK")


if __name__ == "__main__":
    main(sys.argv[1])
