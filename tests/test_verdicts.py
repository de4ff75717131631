"""The reader of the lessons' verdicts: every line with "→" is a verdict a lesson computed from
its own measurements; ``check_verdict`` reads its numbers back and checks its words. The lessons
that print verdicts are checked with it in ``tests/test_notebooks.py``, from their one execution
(in the main suite, pinned to one core beside a CPU hog)."""

import pytest

from course_lib.view.verdicts import cores_used
from tests.helpers_lessons import check_verdict

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons


def test_the_checker_catches_a_verdict_that_contradicts_its_numbers():
    with pytest.raises(AssertionError):
        check_verdict("→ threads took 0.85 s, processes 1.37 s: processes were 1.6x faster.")
    with pytest.raises(AssertionError):
        check_verdict(
            "→ 2 processes took 0.55 s, one after the other 0.41 s: about the same (within 10 %)."
        )
    with pytest.raises(AssertionError):
        check_verdict("→ 2 processes did 0.60 s of CPU work in 0.33 s: about 3.2 cores' worth")
    with pytest.raises(AssertionError, match="cannot read"):
        check_verdict("→ threads were quicker.")
    assert check_verdict("→ a took 1.00 s, b 2.00 s: a was 2.0x faster.") == "compare"
    assert check_verdict("→ a took 1.00 s, b 1.05 s: about the same (within 10 %).") == "compare"
    assert check_verdict("→ 2 processes did 0.60 s of CPU work in 0.33 s: about 1.8 cores' worth")
    # seen in CI, pinned to one busy core: 0.59 / 0.52 is 1.13, but unrounded it was 1.15+
    line = "calls only:   → threads took 0.52 s, processes 0.59 s: threads were 1.2x faster."
    assert check_verdict(line) == "compare"
    with pytest.raises(AssertionError):
        check_verdict("→ threads took 0.52 s, processes 0.59 s: threads were 1.3x faster.")
    with pytest.raises(AssertionError):  # the faster one named wrong
        check_verdict("→ threads took 0.52 s, processes 0.59 s: processes were 1.1x faster.")
    # seen in CI, pinned to one busy core: 0.515 s in 0.794 s is 0.65, printed 0.52 and 0.79
    line = (
        "→ 2 processes did 0.52 s of CPU work in 0.79 s: about 0.6 cores' worth at once (you have"
        " 1). Something else was using the cores too."
    )
    assert check_verdict(line) == "cores"
    with pytest.raises(AssertionError):
        check_verdict("→ 2 processes did 0.52 s of CPU work in 0.79 s: about 0.5 cores' worth")
    assert check_verdict("→ the call computed 12% of its time; burn 97%.") == "share"


def test_more_cores_worth_than_there_are_is_said_not_left_beside_you_have():
    # seen on an idle 2-core machine: the work was timed slower in the notebook than it ran
    line = cores_used(2, work_s=1.16, wall_s=0.52, cores=2)
    assert "about 2.2 cores' worth" in line and "More than they could have" in line
    assert "More than" not in cores_used(2, work_s=1.0, wall_s=0.52, cores=2)
    assert check_verdict(line) == "cores"
