"""What must never be committed: API keys, notebooks with outputs, and characters that a
learner's browser may have no font for."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons

ROOT = Path(__file__).resolve().parent.parent
KEY_LIKE = re.compile(r"AIza[0-9A-Za-z_\-]{35}")


def tracked_files():
    try:
        out = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / line for line in out.splitlines() if (ROOT / line).is_file()]


def test_nothing_key_like_is_committed():
    offenders = [
        str(p.relative_to(ROOT))
        for p in tracked_files()
        if KEY_LIKE.search(p.read_text(encoding="utf-8", errors="ignore"))
    ]
    assert offenders == [], (
        f"these files contain something shaped like a Google API key: {offenders}"
    )


def test_notebooks_are_committed_without_outputs():
    dirty = []
    notebooks = [p for p in tracked_files() if p.suffix == ".ipynb"]
    assert notebooks, "expected at least the browser test's notebook"
    for path in sorted(notebooks):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                dirty.append(path.name)
                break
        if notebook.get("metadata", {}).get("widgets"):
            dirty.append(f"{path.name} (widget state)")
    assert dirty == [], f"strip these notebooks before committing: {dirty}"


def test_the_key_pattern_would_catch_a_real_key():
    assert KEY_LIKE.search("key = 'AIza" + "B" * 35 + "'")
    assert not KEY_LIKE.search("AIza-test-not-a-real-key-0123456789")


#: Characters outside ASCII that the course may show (in code, messages and lessons): each one is
#: in the Liberation fonts (Debian's Chromium may have no other) and in DejaVu, so it never shows
#: as an empty box. Before adding one, check it: ``fc-list ':charset=2713' file`` lists the fonts
#: that have U+2713 (✓: Liberation has not, so the checks say "√ Right" instead).
RENDERS_EVERYWHERE = "±µ·¼½×λ…⅛←→≈≤√"


def shown_to_learners():
    return [p for p in tracked_files() if p.suffix in (".py", ".ipynb") and "tests" not in p.parts]


def test_the_course_shows_only_characters_every_font_has():
    unknown = {}
    for path in shown_to_learners():
        for char in path.read_text(encoding="utf-8"):
            if ord(char) > 127 and char not in RENDERS_EVERYWHERE:
                unknown.setdefault(f"{char} (U+{ord(char):04X})", str(path.relative_to(ROOT)))
    assert unknown == {}, f"characters a plain font may lack, and where: {unknown}"


def test_the_liberation_fonts_have_every_character_the_course_shows():
    """On a machine with fontconfig and fonts-liberation, the list above is checked for real."""
    if shutil.which("fc-list") is None:
        pytest.skip("no fontconfig here (fc-list)")
    fonts = subprocess.run(["fc-list", ":family=Liberation Sans", "file"], capture_output=True)
    if not fonts.stdout.strip():
        pytest.skip("fonts-liberation is not installed here")
    for char in RENDERS_EVERYWHERE + "✅":
        having = subprocess.run(
            ["fc-list", f":charset={ord(char):x}:family=Liberation Sans", "file"],
            capture_output=True,
            text=True,
        ).stdout
        has = bool(having.strip())
        assert has == (char != "✅"), f"{char} (U+{ord(char):04X}) in Liberation Sans: {has}"
