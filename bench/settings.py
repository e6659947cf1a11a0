"""The app's own settings, plus the bare views bench/speed.py compares every scenario with."""

from sidebar.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
