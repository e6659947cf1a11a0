"""Staff-facing Chinese speaks in one voice: 你, as WeCom itself writes to its users, never 您.
(What staff send to customers — the reply library — is theirs to word, and is not scanned.)"""

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CATALOG = PROJECT / "sidebar" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def translations() -> list[str]:
    """Every msgstr of the catalog (plural forms and continued lines included), obsolete
    entries left out."""
    found, current = [], None
    for line in CATALOG.read_text().splitlines():
        if line.startswith("msgstr"):
            current = re.search(r'"(.*)"$', line).group(1)
            found.append(current)
        elif line.startswith('"') and current is not None:
            found[-1] += line.strip('"')
        else:
            current = None
    return found


def test_the_translations_say_ni_not_nin():
    said = translations()
    assert len(said) > 500  # the catalog was read
    assert [text for text in said if "您" in text] == []


def test_templates_and_scripts_say_ni_not_nin():
    files = [*PROJECT.glob("templates/**/*.html"), *PROJECT.glob("static/sidebar/**/*.js")]
    assert files
    formal = [str(path.relative_to(PROJECT)) for path in files if "您" in path.read_text()]
    assert formal == []
