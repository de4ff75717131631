"""Lesson 07, scaling to thousands of users.

- ``traffic``: a real hour of production traffic (``load_trace``) and Poisson arrivals
- ``simulator``: ``simulate(requests, SimulationSettings(...))``, the kit's client code against the
  fake's quota on a virtual clock (``virtual_clock``), an hour in seconds; ``simulation_settings``
  holds what it is asked
- ``costs``: the price table, ``bill`` with caching and routing (to ``CHEAP_MODEL``)
- ``metrics``: a run's metrics in Prometheus's format, served and ``scrape``d
"""

from course_lib._lazy import lazy_names

_WHERE = {
    "CHEAP_MODEL": "costs",
    "Request": "traffic",
    "load_trace": "traffic",
    "poisson": "traffic",
    "slice_of": "traffic",
    "SimulationSettings": "simulation_settings",
    "Simulated": "simulator",
    "simulate": "simulator",
    "SimulationStopped": "simulator",
    "run_virtual": "virtual_clock",
    "bill": "costs",
    "price_table": "costs",
    "is_cache_hit": "costs",
    "Metrics": "metrics",
    "scrape": "metrics",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_names(__name__, _WHERE)
