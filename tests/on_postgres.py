"""Run the tests on PostgreSQL: `python -m tests.on_postgres [pytest arguments]` starts a
throwaway cluster (tests.servers.PostgresServer), runs pytest against it through
SIDEBAR_TEST_DATABASE_URL (tests/settings.py), and removes the cluster, whatever pytest did.
`make test` runs the part of the suite that talks to the database this way too (docs/
developers.md), so a query that only SQLite accepts cannot land."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.servers import PostgresServer


def main(arguments: list[str]) -> int:
    with (
        tempfile.TemporaryDirectory(prefix="sidebar-tests-postgres-") as work,
        PostgresServer(Path(work)) as postgres,
    ):
        env = {**os.environ, "SIDEBAR_TEST_DATABASE_URL": postgres.url}
        return subprocess.run([sys.executable, "-m", "pytest", *arguments], env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
