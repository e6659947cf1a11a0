"""The audit log at a year's size: Django admin's 查询记录 and 发送记录 lists, and the home
panel's query, over a million rows, for SQLite and (when installed) PostgreSQL.

For each backend it makes a fresh database, migrates it, fills it with --rows lookups spread
over the last 365 days (200 staff, 20,000 customers, every entry and outcome) and a tenth as
many sends, signs an auditor in, and prints the median time of --repeat loads of each page
through Django's whole request handling (Django's test client, in this process).

Then it downloads the lookup list as CSV (the admin's "download the filtered list"), once
filtered to a twentieth and once whole, reading the streamed response chunk by chunk as a
client would, and prints each download's time and the peak memory Python allocated while
it ran (tracemalloc): a streamed download's peak does not grow with its rows.

    .venv/bin/python -m bench.audit [--rows 1000000] [--repeat 5] [--backends sqlite,postgres]
"""

import argparse
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from bench import child_database, database_backends, exit_on_sigterm

PROJECT = Path(__file__).resolve().parents[1]

ENTRIES = (
    ["single_chat_tools"] * 6
    + ["group_chat_tools"] * 3
    + [
        "contact_profile",
        "single_kf_tools",
        "chain_single_chat_tools",
        "chain_group_chat_tools",
        "normal",
    ]
)
OUTCOMES = ["ok"] * 17 + ["denied", "not_found", "upstream_error"]


def lookup_rows(count: int, now: datetime):
    rng = random.Random(1)  # noqa: S311 (sample data, the same every run)
    for i in range(count):
        created = now - timedelta(seconds=rng.randrange(365 * 86400))
        hosted = i % 20 == 0
        staff, customer = rng.randrange(200), rng.randrange(20_000)
        outcome = rng.choice(OUTCOMES)
        yield (
            created,
            f"staff{staff:03d}",
            f"成员{staff:03d}",
            "juzi" if hosted else "wecom",
            f"op{rng.randrange(10)}" if hosted else "",
            "运营小周" if hosted else "",
            rng.choice(ENTRIES),
            f"wmCustomer{customer:06d}",
            f"客户{customer:05d}" if outcome == "ok" else "",
            outcome,
            None,
            rng.randrange(1, 400),
            rng.random() < 0.7,
        )


LOOKUP_COLUMNS = (
    "created_at, staff_userid, staff_name, host, operator_uid, operator_name, entry, target_id, "
    "target_name, outcome, errcode, duration_ms, from_cache"
)


def send_rows(count: int, now: datetime):
    rng = random.Random(2)  # noqa: S311 (sample data, the same every run)
    for _ in range(count):
        staff = rng.randrange(200)
        yield (
            now - timedelta(seconds=rng.randrange(365 * 86400)),
            f"staff{staff:03d}",
            f"成员{staff:03d}",
            "wecom",
            "",
            "",
            rng.choice(ENTRIES[:9]),
            f"wmCustomer{rng.randrange(20_000):06d}",
            "价格表",
            "text",
            rng.choice(["sent"] * 8 + ["cancelled", "failed"]),
            "",
            rng.randrange(100, 3000),
            "4.1.30",
            "",
        )


SEND_COLUMNS = (
    "created_at, staff_userid, staff_name, host, operator_uid, operator_name, entry, target_id, "
    "reply_title, kind, outcome, err_msg, duration_ms, wecom_version, media_id"
)


def fill(model, columns: str, rows, vendor: str) -> None:
    """Insert `rows` of `columns` into `model`'s table; every other column gets the model
    field's default, so a field added later never breaks the benchmark (NOT NULL)."""
    from django.db import connection, transaction

    given = [column.strip() for column in columns.split(",")]
    rest = [
        field
        for field in model._meta.concrete_fields
        if field.column not in given and not field.primary_key
    ]
    defaults = tuple(field.get_db_prep_save(field.get_default(), connection) for field in rest)
    columns = ", ".join(given + [field.column for field in rest])
    rows = (tuple(row) + defaults for row in rows)
    table = model._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns.split(",")))
        insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 (our names)
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == 20_000:
                cursor.executemany(insert, batch)
                batch = []
        if batch:
            cursor.executemany(insert, batch)


def timed(client, url: str, repeat: int) -> tuple[float, int]:
    times = []
    status = 0
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(url)
        times.append(time.perf_counter() - started)
        status = answer.status_code
    return statistics.median(times) * 1000, status


PAGES = [
    ("lookups, newest first", "/admin/sidebar/lookup/"),
    ("lookups, page 50", "/admin/sidebar/lookup/?p=50"),
    ("lookups, outcome = denied", "/admin/sidebar/lookup/?outcome__exact=denied"),
    ("lookups, entry = customer group", "/admin/sidebar/lookup/?entry=group_chat_tools"),
    ("lookups, host = Juzi", "/admin/sidebar/lookup/?host__exact=juzi"),
    ("lookups, from the cache", "/admin/sidebar/lookup/?from_cache__exact=1"),
    (
        "lookups, past 7 days and denied",
        "/admin/sidebar/lookup/?created_at__gte={week}&outcome__exact=denied",  # URL-quoted below
    ),
    ("lookups, search a whole userid (off the index)", "/admin/sidebar/lookup/?q=staff042"),
    ("lookups, search part of a name", "/admin/sidebar/lookup/?q=%E6%88%90%E5%91%9804"),
    # Names that match nothing: two characters (most Chinese given names are one or two),
    # four, and a part of an id.
    ("lookups, search a name that matches nothing (2 characters)", "/admin/sidebar/lookup/?q=无名"),
    (
        "lookups, search a name that matches nothing (4 characters)",
        "/admin/sidebar/lookup/?q=查无此人",
    ),
    ("lookups, search part of an id that matches nothing", "/admin/sidebar/lookup/?q=Nobody99"),
    ("sends, search a name that matches nothing", "/admin/replies/send/?q=无名"),
    ("sends, newest first", "/admin/replies/send/"),
    ("sends, outcome = failed", "/admin/replies/send/?outcome__exact=failed"),
    ("overview, last 30 days", "/admin/overview/"),
    ("overview, last 90 days", "/admin/overview/?days=90"),
]


def run_backend(args) -> None:
    """In a child process whose environment names the database: fill, then time."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from sidebar import services
    from sidebar.models import Lookup
    from sidebar.replies.models import Send

    call_command("migrate", verbosity=0)
    now = datetime.now(UTC)
    started = time.perf_counter()
    fill(Lookup, LOOKUP_COLUMNS, lookup_rows(args.rows, now), connection.vendor)
    fill(Send, SEND_COLUMNS, send_rows(args.rows // 10, now), connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum (PostgreSQL) or a maintenance job would
    filled = time.perf_counter() - started
    print(f"{args.rows:,} lookups and {args.rows // 10:,} sends made in {filled:.0f} s")
    user = get_user_model().objects.create_superuser("auditor", "a@example.com", "pw-audit-1")
    storage = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={"default": {}, "staticfiles": storage}):
        client = Client()
        client.force_login(user)
        week = (now - timedelta(days=7)).isoformat()
        print("| page | ms (median) | HTTP |\n| --- | --- | --- |")
        for name, url in PAGES:
            ms, status = timed(client, url.format(week=quote(week)), args.repeat)
            print(f"| {name} | {ms:.0f} | {status} |", flush=True)
        times = []
        for i in range(args.repeat):
            started = time.perf_counter()
            services.recent_targets(staff_userid=f"staff{i:03d}")
            times.append(time.perf_counter() - started)
        print(f"| home panel: a staff member's recent customers | "
              f"{statistics.median(times) * 1000:.1f} | |")  # fmt: skip
        downloads(client)


DOWNLOADS = [
    ("lookups, outcome = not found", "/admin/sidebar/lookup/export/?outcome__exact=not_found"),
    ("lookups, all", "/admin/sidebar/lookup/export/"),
]


def downloads(client) -> None:
    """Each CSV download's rows, size and time, read as it streams; then the same download
    again under tracemalloc (which slows it) for the peak memory Python allocated."""
    print("\n| CSV download | rows | MB | s | rows/s | peak MiB (Python) | RSS high-water MiB |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    peaks = []
    for name, url in DOWNLOADS:
        started = time.perf_counter()
        rows, size = _download(client, url)
        seconds = time.perf_counter() - started
        tracemalloc.start()
        _download(client, url)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        peaks.append((rows, peak))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {name} | {rows:,} | {size / 1e6:.0f} | {seconds:.1f} | "
              f"{rows / seconds:,.0f} | {peak:.1f} | {rss:.0f} |", flush=True)  # fmt: skip
    (few, few_peak), (many, many_peak) = peaks
    print(f"\n{many / few:.0f}× the rows took {many_peak / few_peak:.2f}× the peak memory")


def _download(client, url: str) -> tuple[int, int]:
    """Rows and bytes of one download, read chunk by chunk."""
    size = lines = 0
    for chunk in client.get(url).streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    return lines - 1, size


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backends", default="")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_backend(args)
        return
    for backend in database_backends(args.backends):
        print(f"\n{backend}\n", flush=True)
        with child_database(backend, "bench-audit-") as (env, _server):
            env["DJANGO_ALLOWED_HOSTS"] = "testserver"
            child = [sys.executable, "-m", "bench.audit", "--child"]
            child += ["--rows", str(args.rows), "--repeat", str(args.repeat)]
            subprocess.run(child, env=env, cwd=PROJECT, check=True)  # noqa: S603


if __name__ == "__main__":
    main()
