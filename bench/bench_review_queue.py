"""Benchmark the human review queue on PostgreSQL with 1,000,000 flagged items.

Creates (or reuses) a database of its own, migrates it, fills it with generate_series (one
classification event per item, 20 resources, 1M items of which ~60% wait in the human queue),
then times the queue's first page (the list endpoint's query), a deep keyset page, the
per-resource queue, and claim-next (the conditional-update claim) and prints p50/p95.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gs_review_bench \
        .venv/bin/python bench/bench_review_queue.py [--items 1000000] [--runs 200]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def fill(items: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM review_flaggeditem")
        if cursor.fetchone()[0] >= items:
            print(f"reusing {items:,} items")
            return
        print(f"filling {items:,} items ...", flush=True)
        started = time.perf_counter()
        cursor.execute("TRUNCATE review_flaggeditem, review_classificationevent CASCADE")
        cursor.execute("DELETE FROM guardsite_resource WHERE name LIKE 'bench-%'")
        cursor.execute(
            """
            INSERT INTO guardsite_resource (id, name, region, in_eea, status,
                modified_content_filters_approved, modified_abuse_monitoring_approved, created_at)
            SELECT gen_random_uuid(), 'bench-' || g, 'westeurope', g % 2 = 0, 'active',
                false, false, now()
            FROM generate_series(1, 20) g
            """
        )
        cursor.execute(
            """
            CREATE TEMP TABLE bench_resources AS
            SELECT id, row_number() OVER (ORDER BY name) - 1 AS n
            FROM guardsite_resource WHERE name LIKE 'bench-%'
            """
        )
        cursor.execute(
            """
            INSERT INTO review_classificationevent (id, resource_id, direction, content,
                filter_config, status, analysis, decision, filtered, attempts, error, created_at)
            SELECT md5('e' || g)::uuid, r.id, 'prompt', NULL, '{}', 'classified', '{}', '{}',
                true, 1, '', now() - (g %% 100000) * interval '1 minute'
            FROM generate_series(1, %s) g JOIN bench_resources r ON r.n = g %% 20
            """,
            [items],
        )
        cursor.execute(
            """
            INSERT INTO review_flaggeditem (id, resource_id, event_id, direction, category,
                severity, labels, attack_detected, priority, status, stage, version,
                automated_verdict, automated_reviewer, reviewed_category, decision_reason,
                flag_count, created_at)
            SELECT md5('i' || g)::uuid, r.id, md5('e' || g)::uuid, 'prompt',
                (ARRAY['hate','sexual','violence','self_harm'])[1 + g %% 4], g %% 8, '{}',
                g %% 13 = 0, (g %% 997) / 10.0,
                CASE WHEN g %% 10 < 6 THEN 'pending' ELSE 'confirmed' END,
                CASE WHEN g %% 10 < 6 THEN 'human' ELSE 'done' END, 1, '', '', '', '', 1,
                now() - (g %% 100000) * interval '1 minute'
            FROM generate_series(1, %s) g JOIN bench_resources r ON r.n = g %% 20
            """,
            [items],
        )
        cursor.execute("ANALYZE review_flaggeditem")
        cursor.execute("ANALYZE review_classificationevent")
        print(f"filled in {time.perf_counter() - started:.1f} s", flush=True)


def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    url = os.environ.setdefault(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gs_review_bench"
    )
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL database")
    ensure_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guardsite.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import RequestFactory
    from rest_framework.test import force_authenticate

    call_command("migrate", verbosity=0)
    fill(args.items)

    from guardsite.models import Resource
    from review import actions
    from review.api import FlaggedItemViewSet
    from review.models import FlaggedItem, ReviewerProfile

    user, _ = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True}
    )
    ReviewerProfile.objects.get_or_create(user=user, defaults={"located_in_eea": True})
    resource = Resource.objects.filter(name="bench-1").get()
    queue_view = FlaggedItemViewSet.as_view({"get": "queue"})
    factory = RequestFactory()

    def list_page(query=""):
        request = factory.get(
            f"/api/v1/review/items/queue/?page_size=50{query}", HTTP_HOST="localhost"
        )
        force_authenticate(request, user=user)
        response = queue_view(request)
        assert response.status_code == 200, response.data
        response.render()
        return response

    cursor = list_page().data["next"].split("cursor=")[1]
    pending = FlaggedItem.objects.filter(status="pending", stage="human").count()
    print(f"items: {FlaggedItem.objects.count():,}; in the human queue: {pending:,}")
    for label, fn in (
        ("queue page 1 (API, 50 rows)", lambda: list_page()),
        ("queue page 2 (API, cursor)", lambda: list_page(f"&cursor={cursor}")),
        (
            "queue query, one resource (ORM, 50 rows)",
            lambda: list(actions.human_queue(user, resource)[:50]),
        ),
    ):
        p50, p95 = timed(fn, args.runs)
        print(f"{label:45s} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")

    claimed = []

    def claim() -> None:
        item = actions.claim_next_item(acting_user=user)
        assert item is not None
        claimed.append(item.pk)

    p50, p95 = timed(claim, args.runs)
    print(f"{'claim-next (conditional update)':45s} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")
    # Put the claims back so the next run measures the same queue.
    FlaggedItem.objects.filter(pk__in=claimed).update(claimed_by=None, claim_expires_at=None)
    print("target: p95 < 50 ms")


if __name__ == "__main__":
    main()
