"""Exercise checks: call ``check_...(your_answer)`` and read the feedback.

Each check returns a ``Feedback``: it shows as one friendly line in a notebook and is truthy when
the answer is right. Checks that take your function run it against a private fake Gemini, so
they work offline and never spend live calls.

>>> check_cores(2)
✅ Right: the quota (2 CPUs' worth of time per period) wins over the 16 cores the host reports.
>>> bool(check_cores(16))
False
"""

from course_lib.exercises.feedback import Feedback
from course_lib.exercises.lesson00 import IO_OR_CPU_TASKS, check_cores, check_io_or_cpu
from course_lib.exercises.lesson01 import SEQUENTIAL_EXERCISE, check_ask_all, check_sequential_time
from course_lib.exercises.lesson02 import check_ask_all_async, check_ask_limited
from course_lib.exercises.lesson03 import check_cpu_prediction, check_start_method
from course_lib.exercises.lesson04 import (
    HYBRID_EXERCISE,
    HYBRID_WORTH_IT,
    check_hybrid_prediction,
    check_hybrid_worth_it,
)

__all__ = [
    "Feedback",
    "HYBRID_EXERCISE",
    "HYBRID_WORTH_IT",
    "IO_OR_CPU_TASKS",
    "SEQUENTIAL_EXERCISE",
    "check_ask_all",
    "check_ask_all_async",
    "check_ask_limited",
    "check_cores",
    "check_cpu_prediction",
    "check_hybrid_prediction",
    "check_hybrid_worth_it",
    "check_io_or_cpu",
    "check_sequential_time",
    "check_start_method",
]
