"""Exercise checks: call ``check_...(your_answer)`` and read the feedback.

Each check returns a ``Feedback``: it shows as one friendly line in a notebook and is truthy when
the answer is right. Checks that take your function run it against a private fake Gemini, so
they work offline and never spend live calls.

``from course_lib.exercises import check_cores`` loads only lesson 00's checks: a lesson's module
is imported when one of its names is first used.
"""

from course_lib._lazy import lazy_names

#: public name -> the module (in this package) that defines it
_WHERE = {
    "Feedback": "feedback",
    "IO_OR_CPU_TASKS": "lesson00",
    "check_cores": "lesson00",
    "check_io_or_cpu": "lesson00",
    "SEQUENTIAL_EXERCISE": "lesson01",
    "check_ask_all": "lesson01",
    "check_sequential_time": "lesson01",
    "check_ask_all_async": "lesson02",
    "check_ask_limited": "lesson02",
    "check_cpu_prediction": "lesson03",
    "check_start_method": "lesson03",
    "check_burn_in_pool": "lesson03",
    "HYBRID_EXERCISE": "lesson04",
    "HYBRID_WORTH_IT": "lesson04",
    "check_hybrid_prediction": "lesson04",
    "check_hybrid_worth_it": "lesson04",
    "check_pipeline": "lesson04",
    "check_ask_with_retry": "lesson05",
    "check_shared_budget": "lesson05",
    "check_tools_at_once": "lesson06",
    "check_research": "lesson06",
    "LIMITS": "lesson07",
    "IN_FLIGHT": "lesson07",
    "check_plan": "lesson07",
    "check_bill": "lesson07",
    "check_add_a_worker": "lesson08",
    "check_batches": "lesson08",
}

__all__ = sorted(_WHERE)


__getattr__, __dir__ = lazy_names(__name__, _WHERE)
