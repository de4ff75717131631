"""course_lib: the helper package of the LLM concurrency course.

The names lessons 00-04 use are here (``from course_lib import gemini_client, run_scenario``);
each later lesson's own names are in its package (``from course_lib.rate_limits import
RateLimiter``). Every name is imported on first use, so ``import course_lib`` costs almost
nothing and a worker process loads only what its task needs.

Where things live (the README's "Where things live" has the whole table; a test checks that each
part imports only the parts below it):

- ``view/``, ``exercises/``, ``cli.py``: pictures and panels, the exercise checks, the command line
- ``pool_tasks.py``: the functions the lessons' own process pools run
- ``run/scenarios/``: one module per scenario, free to use any lesson package below
- ``scaling/`` (lesson 07), ``cluster/`` (lesson 08): the simulator, costs and metrics; Dask
- ``run/``: the scenario engine (settings, registry, runner, calls, results, ideal bounds, pools)
- ``agents/`` (lesson 06), ``rate_limits/`` (lesson 05): the ReAct loop and its search tool; the
  limiter, retries, the 429's details, the retry budget, AIMD
- ``client/``: ``gemini_client``, the session (the fake, its server, live mode's budget)
- ``trace/``, ``fake/``: spans, lanes and trace files; the fake Gemini
- ``config.py``, ``ranges.py``, ``values.py``, ``machine.py``, ``data_files.py``: the default
  model, the one table of limits (every value a learner can set) and how a value is checked,
  cores, where the data files are

A new lesson's code goes in a package named for the lesson, beside ``scaling/`` and ``cluster/``;
a new way of running prompts is one module in ``run/scenarios/`` and one ``register(...)``.

Naming: a coroutine function has the plain name of what it does (``run_scenario``,
``call_with_retries``); its blocking twin, where there is one, ends in ``_sync``. A record of
settings is named for what it sets up: ``ScenarioSettings`` (``run_scenario``),
``SimulationSettings`` (``simulate``).
"""

from course_lib._lazy import lazy_names

#: public name -> the module that defines it: what lessons 00-04 use
_WHERE = {
    "DEFAULT_MODEL": "config",
    "SettingError": "values",
    "setup": "notebook.setup_cell",
    "doctor": "notebook.doctor_cell",
    "offline": "client.session",
    "use_fake": "client.session",
    "fake_url": "client.session",
    "gemini_client": "client.factory",
    "Jittered": "fake.latency",
    "Tracer": "trace.spans",
    "cpu_span": "trace.spans",
    "ScenarioSettings": "run.settings",
    "run_scenario": "run.runner",
    "analyse": "run.workloads",
    "burn": "run.workloads",
    "iterations_for": "run.workloads",
    "cgroup_cpu_quota": "machine",
    "effective_cpu_count": "machine",
    "ask": "pool_tasks",
    "peak_memory_mb": "pool_tasks",
    "timed_analyse": "pool_tasks",
    "timed_burn": "pool_tasks",
    "gantt": "view.gantt_chart",
    "Panel": "view.panels",
    "Comparison": "view.comparison",
    "barista": "view.pictures",
    "compare_times": "view.verdicts",
    "cores_used": "view.verdicts",
}

__all__ = sorted(_WHERE)


__getattr__, __dir__ = lazy_names(__name__, _WHERE)
