"""Staff-facing Chinese speaks in one voice: 你, as WeCom itself writes to its users, never 您;
and in Chinese: no English words, setting names or raw client messages, except folded under
技术细节 (texts marked with the "technical" context, sidebar.explanations.Explanation).
(What staff send to customers — the reply library — is theirs to word, and is not scanned.)"""

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CATALOG = PROJECT / "sidebar" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
STAFF_TEMPLATES = [
    path
    for path in PROJECT.glob("templates/sidebar/**/*.html")
    if "emulator" not in path.parts  # the developers' emulator, not the staff's page
]
SCRIPTS = list(PROJECT.glob("static/sidebar/js/*.js"))

# Where only admins and developers read a string: Django admin, model and field names (admin
# forms), deployment checks and commands, the emulator and the WeCom stand-in, the failure
# reports' diagnoses, and the reply library's upload rules (admin forms).
ADMIN_ONLY = re.compile(
    r"(admin|models\.py|checks\.py|/management/|/migrations/|emulator|standin|diagnosis\.py"
    r"|overview\.py|csv_export\.py|settings\.py|replies/kinds\.py|replies/filetypes\.py"
    r"|replies/media\.py|db/health\.py|doctor\.py)"
)
# Acronyms Chinese interfaces write as they are (WeCom's own pages do), and the name WeCom's
# admin console gives the app's Secret.
ALLOWED = re.compile(r"^([A-Z0-9]{2,5}(-[0-9])?|Secret|https?://)$")
WORD = re.compile(r"https?://|[A-Za-z][A-Za-z0-9_]*(?:-[0-9]+)?")
FORMAT = re.compile(r"%\(\w+\)[-.0-9]*[sdf]|%[sd]")


def catalog() -> list[dict]:
    """The catalog's entries: {"context", "refs", "msgstr"} (plural forms joined, obsolete
    entries left out)."""
    entries = []
    for block in CATALOG.read_text().split("\n\n"):
        refs = [
            ref.split(":")[0]
            for line in re.findall(r"^#: (.*)$", block, re.M)
            for ref in line.split()
        ]
        context = re.search(r'^msgctxt "(.*)"$', block, re.M)
        strs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block + "\n", re.M)
        text = "".join(re.findall(r'"(.*)"', "".join(strs)))
        if strs and not block.lstrip().startswith("#~"):
            entries.append({"context": context and context.group(1), "refs": refs, "msgstr": text})
    return entries


def english(text: str) -> list[str]:
    """The ASCII words in `text` a Chinese reader should not meet."""
    return [w for w in WORD.findall(FORMAT.sub("", text)) if not ALLOWED.match(w)]


def staff_reads(entry: dict) -> bool:
    return entry["context"] != "technical" and any(
        not ADMIN_ONLY.search(ref) for ref in entry["refs"]
    )


def test_the_translations_say_ni_not_nin():
    said = [entry["msgstr"] for entry in catalog()]
    assert len(said) > 500  # the catalog was read
    assert [text for text in said if "您" in text] == []


def test_templates_and_scripts_say_ni_not_nin():
    files = [*PROJECT.glob("templates/**/*.html"), *PROJECT.glob("static/sidebar/**/*.js")]
    assert files
    formal = [str(path.relative_to(PROJECT)) for path in files if "您" in path.read_text()]
    assert formal == []


def test_what_staff_read_in_the_catalog_is_chinese():
    staff = [entry for entry in catalog() if staff_reads(entry)]
    assert len(staff) > 300
    found = {entry["msgstr"]: english(entry["msgstr"]) for entry in staff}
    assert {text: words for text, words in found.items() if words} == {}


def test_the_scan_finds_what_it_looks_for():
    assert english("管理员：请检查 WECOM_CORP_ID。") == ["WECOM_CORP_ID"]
    assert english("sendChatMessage:fail stand-in fault") != []
    assert english("企业 ID、服务器 IP、%(n)d MB、JPG、http:// 和 Secret") == []
    technical = {"context": "technical", "refs": ["sidebar/explanations.py"], "msgstr": ""}
    assert not staff_reads(technical)
    assert not staff_reads({"context": None, "refs": ["sidebar/admin.py"], "msgstr": ""})


def visible_template_text(source: str) -> str:
    """What a template shows as it is written: its text and its shown attributes, with the
    template language (translated strings are scanned in the catalog) and code removed."""
    source = re.sub(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", source, flags=re.S)
    source = re.sub(r"<(script|style)\b.*?</\1>", "", source, flags=re.S)
    source = re.sub(r"{%\s*blocktranslate\b.*?{%\s*endblocktranslate\s*%}", "", source, flags=re.S)
    source = re.sub(r"{%.*?%}|{{.*?}}", "", source, flags=re.S)
    shown = re.findall(r'\b(?:title|placeholder|alt|aria-label)="([^"]*)"', source)
    return " ".join([re.sub(r"<[^>]*>", " ", source), *shown])


def test_templates_show_no_english_of_their_own():
    assert STAFF_TEMPLATES
    found = {
        str(path.relative_to(PROJECT)): english(visible_template_text(path.read_text()))
        for path in STAFF_TEMPLATES
    }
    assert {name: words for name, words in found.items() if words} == {}


def test_scripts_put_no_text_of_their_own_on_the_page():
    """All text the page shows comes from the server (sidebar.js says so); a script that
    writes a literal into the page, or a literal title into what it says, breaks that."""
    writes = re.compile(
        r"(?:textContent|innerText|innerHTML)\s*[+]?=\s*([\"'](?![\"'])|.*messageOf\()"
        r"|title:\s*(?:[\"']|said\b|messageOf\()"
    )
    found = {
        path.name: [line.strip() for line in path.read_text().splitlines() if writes.search(line)]
        for path in SCRIPTS
    }
    assert SCRIPTS
    assert {name: lines for name, lines in found.items() if lines} == {}
