"""Running a batch of prompts, one of several ways, traced and timed.

- ``settings``: ``Settings``, checked when made; ``registry``: the scenarios, one record each
- ``scenarios/``: one module per scenario; ``calls``: the steps every scenario takes per prompt
- ``runner``: ``run_scenario``; ``results``: ``CallRecord`` and ``RunResult``; ``ideal``: bounds
- ``pools``, ``workers``: process pools and the functions their workers run
- ``workloads``: CPU work with a cost you can dial; ``retry``: retries that respect the server
  (``quota_errors`` reads a 429, ``retry_budget`` caps retries); ``adaptive``: AIMD concurrency
- ``machine``: how many cores this process may really use
"""
