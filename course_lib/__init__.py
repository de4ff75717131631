"""course_lib: the helper package of the LLM concurrency course.

The names a notebook uses are here (``from course_lib import gemini_client, run_scenario``).
Each is imported on first use, so ``import course_lib`` costs almost nothing and a worker process
loads only what its task needs.

Where things live. Each part may use only the parts named after it in brackets (a test checks):

- ``view/``       pictures: Gantt timelines, the live timeline, control panels, the comparison
                  [run, trace, config]
- ``exercises/``  the ``check_...`` functions, one module per lesson [run, client, trace, fake]
- ``cli.py``      ``python -m course_lib`` [run]
- ``run/``        running a batch of prompts: settings, the scenario registry and one module per
                  scenario (``run/scenarios/``), ideal bounds, process pools, worker functions,
                  CPU workloads, retries and the 429's details, the rate limiter and adaptive
                  concurrency (lesson 05), the agents' tools (lesson 06), lesson 07's simulator
                  on a virtual clock (``scaling/simulator.py``) and its traffic; lesson 08's Dask
                  scenario (``run/scenarios/dask.py`` and one ``register``) [client, trace, fake]
- ``client/``     the one client factory (offline fake, live API on a budget), the session, and
                  what wraps every call a client makes: an httpx transport that a plain
                  ``genai.Client`` would obey too (the live budget; a limiter as a transport)
                  [trace, fake, config]
- ``trace/``      spans and lanes, tracing at the transport, Chrome trace export [config]
- ``fake/``       the fake Gemini: answers, latency, quotas, and its two ways in (in-process
                  through respx, a loopback server for other processes) [config]
- ``config.py``   the default model and the environment's names, shared by all
- ``values.py``   how every part checks the values it is given: one message per mistake

``trace/`` and ``fake/`` know nothing of each other, and ``fake/`` nothing of plots or widgets.
"""

from course_lib._lazy import lazy_names

#: public name -> the module that defines it
_WHERE = {
    "DEFAULT_MODEL": "config",
    "FakeGemini": "fake.gemini",
    "FakeServer": "fake.server",
    "Fixed": "fake.latency",
    "Jittered": "fake.latency",
    "TokenRate": "fake.latency",
    "Span": "trace.spans",
    "Tracer": "trace.spans",
    "cpu_span": "trace.spans",
    "traced_cpu": "trace.spans",
    "as_agent": "trace.spans",
    "critical_path": "trace.critical",
    "critical_paths": "trace.critical",
    "gemini_client": "client.factory",
    "LiveBudgetSpent": "client.live",
    "LiveUnreachable": "client.live",
    "live_status": "client.session",
    "offline": "client.session",
    "setup": "client.session",
    "use_fake": "client.session",
    "SettingError": "values",
    "Settings": "run.settings",
    "SCENARIOS": "run.registry",
    "Scenario": "run.registry",
    "CallRecord": "run.results",
    "RunResult": "run.results",
    "run_scenario": "run.runner",
    "run_sync": "run.runner",
    "analyse": "run.workloads",
    "burn": "run.workloads",
    "iterations_for": "run.workloads",
    "cgroup_cpu_quota": "machine",
    "effective_cpu_count": "machine",
    "ask": "pool_tasks",
    "peak_memory_mb": "pool_tasks",
    "timed_analyse": "pool_tasks",
    "timed_burn": "pool_tasks",
    "RateLimiter": "rate_limits.limiter",
    "limited_ask": "pool_tasks",
    "most_in_any_window": "rate_limits.limiter",
    "acall_with_retries": "rate_limits.retry",
    "RetryBudget": "rate_limits.retry_budget",
    "quota_violation": "rate_limits.quota_errors",
    "DailyQuotaExhausted": "rate_limits.quota_errors",
    "AIMDLimiter": "rate_limits.adaptive",
    "SearchTool": "agents.search",
    "SimSettings": "scaling.simulator",
    "simulate": "scaling.simulator",
    "load_trace": "scaling.traffic",
    "Request": "scaling.traffic",
    "poisson": "scaling.traffic",
    "bill": "scaling.costs",
    "price_table": "scaling.costs",
    "Metrics": "scaling.metrics",
    "scrape": "scaling.metrics",
    "react_agent": "agents.react",
    "question_for": "agents.react",
    "gantt": "view.gantt_chart",
    "Comparison": "view.comparison",
    "LiveTimeline": "view.live",
    "Panel": "view.panels",
    "barista": "view.pictures",
    "compare_times": "view.verdicts",
    "cores_used": "view.verdicts",
}

__all__ = sorted(_WHERE)


__getattr__, __dir__ = lazy_names(__name__, _WHERE)
