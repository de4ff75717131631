"""Where the course's data files are: inside the installed package (a wheel carries them there,
as ``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml says) or, in a source
checkout, in ``data/`` beside the package. Every module that reads one asks here.

>>> data_file("fake_gemini", "answers.json").name
'answers.json'
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent  # course_lib/
#: Each folder of data/ and the folder a wheel puts it in, inside the package (the same pairs as
#: pyproject.toml's force-include; a test checks that the two agree).
IN_PACKAGE = {
    "fake_gemini": "_data",  # the fake's answers and the search tool's corpus
    "azure_llm_trace_2023": "_trace",  # lesson 07's traffic (CC-BY 4.0, its README beside it)
}


def data_file(folder: str, name: str) -> Path:
    """The path of ``data/<folder>/<name>``: in the installed package if it is there, else in the
    checkout. A missing file raises ``FileNotFoundError`` with one line saying where it looked."""
    if folder not in IN_PACKAGE:
        raise ValueError(f"no data folder {folder!r}; there are {', '.join(IN_PACKAGE)}")
    places = (_PACKAGE / IN_PACKAGE[folder] / name, _PACKAGE.parent / "data" / folder / name)
    for place in places:
        if place.is_file():
            return place
    raise FileNotFoundError(
        f"course_lib's data file data/{folder}/{name} is missing (looked in {places[0]} and "
        f"{places[1]}): reinstall course-lib, or restore data/ from the repository"
    )
