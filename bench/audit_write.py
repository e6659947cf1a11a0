"""What a lookup's audit row costs to write, as the app writes it, under several writers.

Every lookup writes its audit row before the customer is shown (docs/speed.md), so the row's
write is a fixed part of a cached lookup's cost, and bench.speed's ratio of a cached lookup to
a bare view cannot rise above what the write leaves. This measures the write alone: --workers
processes of --threads threads each insert --rows rows apiece, the way a lookup does (one
transaction a row, `append_only.insert` inside `one_writer`), into a freshly migrated
database, and prints the CPU time the writers (and PostgreSQL's server) spent per row. For
comparison it writes the same rows into a table with the same columns and no index or
trigger, the smallest durable write the database offers, and into the log in batches of
--batch rows a transaction, what a writer that could wait for others would pay.

    .venv/bin/python -m bench.audit_write [--backends sqlite,postgres] [--workers 4]
                                          [--threads 4] [--rows 500] [--batch 20]
"""

import argparse
import multiprocessing
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import child_database, cpu_seconds, database_backends, exit_on_sigterm

PROJECT = Path(__file__).resolve().parents[1]
PLAIN_TABLE = "bench_unindexed_lookup"


def row(number: int) -> dict:
    """A cached lookup's row, as services._audit builds it, for one of 500 customers."""
    return dict(
        staff_userid=f"staff{number % 200:03d}",
        staff_name=f"成员{number % 200:03d}",
        host="wecom",
        entry="single_chat_tools",
        target_id=f"wmBenchCustomer{number % 500:05d}",
        target_name=f"客户{number % 500}",
        target_avatar="https://wework.qpic.cn/wwhead/bench/0",
        outcome="ok",
        errcode=None,
        duration_ms=1,
        from_cache=True,
    )


VARIANTS = ("as a lookup writes it", "same columns, no index", "batched")


def writers(batch: int) -> dict:
    """Each way of writing, by its name: a function that writes the rows numbered `numbers`
    (imported here: Django is set up by then)."""
    from django.db import connection, transaction

    from sidebar import append_only
    from sidebar.models import Lookup
    from sidebar.sqlite_writes import one_writer

    table = connection.ops.quote_name(Lookup._meta.db_table)

    def as_a_lookup(numbers: range) -> None:
        for number in numbers:
            with one_writer():
                append_only.insert(Lookup, **row(number))

    def unindexed(numbers: range) -> None:
        for number in numbers:
            sql, params = append_only.statement(Lookup, **row(number))
            with one_writer(), connection.cursor() as cursor:
                cursor.execute(sql.replace(table, PLAIN_TABLE, 1), params)

    def batched(numbers: range) -> None:
        for first in range(numbers.start, numbers.stop, batch):
            with one_writer(), transaction.atomic():
                for number in range(first, min(first + batch, numbers.stop)):
                    append_only.insert(Lookup, **row(number))

    return {
        VARIANTS[0]: as_a_lookup,
        VARIANTS[1]: unindexed,
        VARIANTS[2]: batched,
    }


def writer_process(variant: str, threads: int, rows: int, batch: int) -> None:
    from django.db import connection

    write = writers(batch)[variant]

    def work(offset: int) -> None:
        try:
            write(range(offset, offset + rows))
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(i * rows,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def run_child(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        copy = f"CREATE TABLE {PLAIN_TABLE} AS SELECT * FROM sidebar_lookup WHERE 1 = 0"  # noqa: S608
        cursor.execute(copy)
    connection.close()  # each writer process opens its own
    servers = {int(group) for group in args.server_groups.split(",") if group}
    context = multiprocessing.get_context("fork")
    print(f"| {args.backend}: {args.workers} processes × {args.threads} threads | rows | "
          "CPU µs a row | rows/s |\n| --- | --- | --- | --- |")  # fmt: skip
    for variant in VARIANTS:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        servers_before = cpu_seconds(servers)
        started = time.perf_counter()
        processes = [
            context.Process(
                target=writer_process, args=(variant, args.threads, args.rows, args.batch)
            )
            for _ in range(args.workers)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
            if process.exitcode:
                raise SystemExit(f"a writer failed ({variant})")
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        cpu += cpu_seconds(servers) - servers_before
        rows = args.workers * args.threads * args.rows
        name = f"batched, {args.batch} rows a transaction" if variant == "batched" else variant
        print(f"| {name} | {rows:,} | {cpu / rows * 1e6:.0f} | {rows / seconds:,.0f} |", flush=True)


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rows", type=int, default=500, help="rows each thread writes")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="", help=argparse.SUPPRESS)
    parser.add_argument("--server-groups", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return
    for backend in database_backends(args.backends):
        with child_database(backend, "bench-write-") as (env, server):
            child = [sys.executable, "-m", "bench.audit_write", "--child", "--backend", backend]
            child += ["--server-groups", str(server or ""), "--workers", str(args.workers)]
            child += ["--threads", str(args.threads), "--rows", str(args.rows)]
            child += ["--batch", str(args.batch)]
            print(flush=True)
            subprocess.run(child, env=env, cwd=PROJECT, check=True)  # noqa: S603


if __name__ == "__main__":
    main()
