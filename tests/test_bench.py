"""The benchmarks keep running as the models grow: bench.audit fills the audit tables with raw
INSERTs, which a new NOT NULL column once broke (issue 24), and bench.audit_write copies the
log's table. Small runs on SQLite: each admin page answered, each way of writing timed."""

import re
import subprocess
import sys

import pytest

from bench.audit import PAGES
from bench.audit_write import VARIANTS
from tests.servers import PROJECT

pytestmark = pytest.mark.processes


def test_bench_audit_runs_and_every_page_answers():
    done = subprocess.run(
        [sys.executable, "-m", "bench.audit", "--rows", "300", "--repeat", "1",
         "--backends", "sqlite"],
        cwd=PROJECT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    pages = re.findall(r"^\| ([^|]+) \| \d+ \| (\d{3}) \|$", done.stdout, re.M)
    assert len(pages) == len(PAGES), done.stdout  # every page bench.audit times
    assert {status for _, status in pages} <= {"200", "302"}, done.stdout


def test_bench_audit_write_prints_each_way_of_writing():
    done = subprocess.run(
        [sys.executable, "-m", "bench.audit_write", "--backends", "sqlite", "--workers", "2",
         "--threads", "2", "--rows", "20", "--batch", "5"],
        cwd=PROJECT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    rows = re.findall(r"^\| ([^|]+) \| 80 \| \d+ \| [\d,]+ \|$", done.stdout, re.M)
    assert len(rows) == len(VARIANTS), done.stdout
