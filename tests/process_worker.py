"""Run as a separate process by the single-flight tests: production settings from the
environment, wait at a file barrier, then sign a page URL (token + both tickets) and print it."""

import json
import os
import sys
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sidebar.settings")
django.setup()

from sidebar.signing import page_signatures  # noqa: E402
from sidebar.wecom import get_client  # noqa: E402

barrier, name = Path(sys.argv[1]), sys.argv[2]
(barrier / f"ready-{name}").touch()
while not (barrier / "go").exists():
    time.sleep(0.002)
print(json.dumps(page_signatures("http://localhost/sidebar/?from=" + name, client=get_client())))
