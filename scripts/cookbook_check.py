"""Run google-gemini/cookbook's quickstarts unchanged against the fake Gemini, offline.

The fake is faithful when code nobody here wrote runs against it. This takes a copy of the
cookbook (a checkout, or a git directory: ``git clone https://github.com/google-gemini/cookbook``
on a machine with a network), changes only what cannot run here (Colab's secrets, ``%pip``
installs, images downloaded from storage.googleapis.com: each change printed), runs each notebook
in a kernel whose ``genai.Client()`` reaches the fake through ``GOOGLE_GEMINI_BASE_URL``, and
prints what failed, next to the failures known to be the notebook's own or out of the fake's
scope::

    python scripts/cookbook_check.py ~/cookbook              # the quickstarts below
    python scripts/cookbook_check.py ~/cookbook JSON_mode Enum

Run under ``../shared/tools/nonet`` to prove nothing leaves the machine. Exit status 1 if a
failure is not a known one. Last run (2026-12-06): cookbook f1e7e3d (2026-08-07), google-genai
3.6.1, 10 quickstarts, 129 code cells in 41 s; 20 failed, every one in ``KNOWN`` below (14 of them
Batch_mode's Files API part).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from PIL import Image, ImageDraw  # the notebooks open their images with it too (bokeh brings it)

from course_lib.fake.gemini import FakeGemini
from course_lib.fake.server import FakeServer

QUICKSTARTS = (
    "Asynchronous_requests Error_handling Function_calling Streaming JSON_mode Enum "
    "System_instructions Counting_Tokens Batch_mode Inference_tiers"
).split()
DOWNLOADS = "https://storage.googleapis.com/generativeai-downloads/"
IMAGES = ("firefighter.jpg", "elephants.jpeg", "jetpack.jpg", "instrument.jpg", "organ.jpg")
SECRETS = 'import os; userdata = type("userdata", (), {"get": staticmethod(os.environ.get)})'
#: failures that are not the fake's (code cell number: why), as of the last run
KNOWN = {
    "Error_handling": {
        3: "the notebook uses types, MODEL_ID and prompt before the cells that define them",
        4: "the notebook uses MODEL_ID before the cell that defines it",
    },
    "Function_calling": {
        13: "google-genai 3.6 refuses a function_result dict not in a list, before any request",
    },
    "JSON_mode": {10: "validates list[Recipe] against an answer to a schema of one Recipe"},
    "Counting_Tokens": {
        10: "the cell's source holds literal \\n characters (a SyntaxError)",
        11: "the same, and it needs ffprobe and a download",
    },
    "Batch_mode": dict.fromkeys(
        (5, 6, 7, 8, 9, 15, 16, 17, 18, 19, 20, 21, 22, 23),
        "the Files API and webhooks, which the fake does not serve (inline requests do run)",
    ),
}


def export(cookbook: Path, name: str) -> nbformat.NotebookNode:
    """A quickstart from a checkout, or from a git directory's HEAD."""
    checked_out = cookbook / "quickstarts" / f"{name}.ipynb"
    if checked_out.exists():
        return nbformat.read(checked_out, as_version=4)
    text = subprocess.run(
        ["git", "-C", str(cookbook), "show", f"HEAD:quickstarts/{name}.ipynb"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return nbformat.reads(text, as_version=4)


def prepare(notebook: nbformat.NotebookNode, assets_url: str) -> list[str]:
    """Replace Colab's secrets, %pip installs and downloads; return what was replaced."""
    changed = []
    for number, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        lines = cell.source.split("\n")
        for k, line in enumerate(lines):
            said = line.strip()
            if said.startswith(("%pip", "!pip")):
                lines[k] = "# [installed already] " + said
            elif said == "from google.colab import userdata":
                lines[k] = line.replace(said, SECRETS + "  # [Colab's secrets: the environment]")
            elif DOWNLOADS in said:
                lines[k] = line.replace(DOWNLOADS, assets_url)
            if lines[k] != line:
                changed.append(f"code cell {number}: {said[:70]!r}")
        cell.source = "\n".join(lines)
    return changed


def serve_images(folder: Path) -> str:
    """Small stand-ins for the images the notebooks download, on loopback."""
    (folder / "images").mkdir(parents=True, exist_ok=True)
    for name in IMAGES:
        image = Image.new("RGB", (320, 240), "goldenrod")
        ImageDraw.Draw(image).ellipse((60, 40, 260, 200), outline="black", width=4)
        image.save(folder / "images" / name, format="JPEG")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
        pass


def run(notebook: nbformat.NotebookNode, folder: Path) -> dict[int, str]:
    """Execute every cell (errors allowed); return each failed code cell's error."""
    NotebookClient(
        notebook, timeout=300, allow_errors=True, resources={"metadata": {"path": str(folder)}}
    ).execute()
    failed = {}
    for number, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if errors:
            failed[number] = f"{errors[0].ename}: {errors[0].evalue.splitlines()[0][:160]}"
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cookbook", type=Path, help="a checkout or git directory of the cookbook")
    parser.add_argument("notebooks", nargs="*", default=QUICKSTARTS, help="quickstarts to run")
    args = parser.parse_args()
    # Batch jobs done at once, a Flex "minute" of 0.2 s: the notebooks wait seconds, not hours
    fake = FakeGemini(latency=0.05, batch_turnaround_s=0.0, flex_minute_s=0.2)
    unknown = 0
    with FakeServer(fake) as url, tempfile.TemporaryDirectory() as scratch:
        assets = serve_images(Path(scratch) / "assets")
        os.environ.update(GOOGLE_GEMINI_BASE_URL=url, GEMINI_API_KEY="offline-fake-key")
        os.environ.pop("GOOGLE_API_KEY", None)  # both set: the SDK warns in every notebook
        for name in args.notebooks:
            notebook = export(args.cookbook, name)
            changed = prepare(notebook, assets)
            folder = Path(scratch) / name
            folder.mkdir()
            failed = run(notebook, folder)
            cells = sum(c.cell_type == "code" for c in notebook.cells)
            print(f"{name}: {cells} code cells, {len(failed)} failed; replaced {len(changed)}")
            for number, error in failed.items():
                known = KNOWN.get(name, {}).get(number)
                unknown += known is None
                print(f"  cell {number}: {error}\n    {'known: ' + known if known else 'NEW'}")
    print(json.dumps({"unknown_failures": unknown}))
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())
