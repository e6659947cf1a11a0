"""docs/configuration.md's variable table and .env.example list every variable the settings
read; README keeps its two commands and stays a newcomer's read."""

import re

from tests.servers import PROJECT


def variables_read_by_settings() -> set[str]:
    source = (PROJECT / "sidebar" / "settings.py").read_text()
    return set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))


def test_every_variable_is_documented():
    names = variables_read_by_settings()
    assert {"DJANGO_SECRET_KEY", "REDIS_URL", "WECOM_OAUTH_AUTHORIZE_URL"} <= names
    readme = (PROJECT / "docs" / "configuration.md").read_text()
    example = (PROJECT / ".env.example").read_text()
    for name in sorted(names):
        assert f"| `{name}` |" in readme, f"{name} missing from docs/configuration.md's table"
        assert re.search(rf"^#? ?{name}=", example, re.M), f"{name} missing from .env.example"


def test_ci_runs_the_readme_test_command():
    readme = (PROJECT / "README.md").read_text()
    assert "```sh\nmake test\n```" in readme and "```sh\nmake serve\n```" in readme
    assert "exec make --no-print-directory test" in (PROJECT / ".ci" / "run").read_text()
    makefile = (PROJECT / "Makefile").read_text()
    assert "\ntest:" in makefile and "\tbash .ci/test $(ARGS)\n" in makefile
    assert "\nserve:" in makefile and "\tbash .ci/serve $(ARGS)\n" in makefile


def test_the_readme_is_a_newcomers_read():
    readme = (PROJECT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    first_screen = "\n".join(readme.splitlines()[:50])
    assert "/admin/" in first_screen and "make test" in first_screen
    assert re.search(r"`make test`\*\* takes about \d+ minutes", readme)
    for link in re.findall(r"\]\((docs/[\w.]+\.md)\)", readme):
        assert (PROJECT / link).is_file(), link
