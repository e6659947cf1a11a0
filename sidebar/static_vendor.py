"""Files npm installs that our pages load, served as our own static files (no CDN).

Only the files pages load are found, each under `vendor/`: a package's whole `dist/` would
bring its source maps, type declarations and module builds along (17 MB for Chart.js, for
one 200 KB file). settings.VENDOR_STATIC names them: served path → installed file."""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage


class VendorFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        self.files: dict[str, Path] = {
            served: Path(installed) for served, installed in settings.VENDOR_STATIC.items()
        }
        super().__init__(*args, **kwargs)

    def check(self, **kwargs):
        return [
            Error(
                f"{installed} is missing, so {served} cannot be served.",
                hint="Install the npm packages: npm ci (make setup does).",
                id="sidebar.E020",
            )
            for served, installed in self.files.items()
            if not installed.is_file()
        ]

    def find(self, path, find_all=False, **kwargs):
        # As Django's finders answer: the path alone, or a list when asked for all; [] when
        # there is none (None would be read as a match).
        found = self.files.get(path)
        if found is None or not found.is_file():
            return []
        return [str(found)] if find_all or kwargs.get("all") else str(found)

    def list(self, ignore_patterns):
        for served, installed in self.files.items():
            if installed.is_file():
                storage = FileSystemStorage(location=installed.parent)
                storage.prefix = str(Path(served).parent)
                yield installed.name, storage
