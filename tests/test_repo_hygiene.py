"""What must never be committed: API keys, and notebooks with outputs."""

import json
import re
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
