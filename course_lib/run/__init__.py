"""The scenario engine: one batch of prompts, run one of several ways, traced and timed.

- ``settings``: ``ScenarioSettings``, checked when made; ``registry``: the scenarios, one record
  each; ``scenarios/``: one module per scenario, with its own pool functions
- ``calls``: the steps every scenario takes per prompt, and ``ScenarioRun``, what a scenario is
  given; ``runner``: ``run_scenario``; ``results``: ``CallRecord`` and ``RunResult``
- ``ideal``: the best wall time each scenario could have; ``workloads``: CPU work you can dial
- ``pools``: process pools that stream their workers' spans; ``lifeline``: workers that end with
  their owner
"""

from course_lib._lazy import lazy_names

_WHERE = {
    "ScenarioSettings": "settings",
    "SCENARIOS": "registry",
    "Scenario": "registry",
    "register": "registry",
    "ideal_seconds": "registry",
    "run_scenario": "runner",
    "run_scenario_sync": "runner",
    "compare": "runner",
    "CallRecord": "results",
    "RunResult": "results",
    "analyse": "workloads",
    "burn": "workloads",
    "iterations_for": "workloads",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
