"""What a simulation is asked: ``SimulationSettings``, how the simulated client and API behave
(``course_lib.scaling.simulator`` runs them)."""

from __future__ import annotations

from dataclasses import dataclass

from course_lib import ranges
from course_lib.catalogue import DEFAULT_MODEL  # the kit's own: always priced
from course_lib.scaling.costs import check_priced
from course_lib.values import SettingError

SIMULATED_RETRIES = ("kit", "none")  # of ranges.RETRY_POLICIES


@dataclass(frozen=True)
class SimulationSettings:
    """How the simulated client and API behave. ``concurrency``: calls in flight at most (the
    rest queue); ``processes``: event loops, each one core for the client's ``client_cpu_ms`` of
    CPU per call; ``rpm``/``tpm``: the API's limits per project per ``window_s`` (None: none),
    over ``projects`` projects that share the requests in turn; ``client_rpm``: a client-side
    limiter (None: none); ``retry``: "kit" (the kit's retries, at most ``attempts`` tries) or
    "none", the two of ``ScenarioSettings``' policies it simulates; the API's
    latency: ``ttft_s`` to the first token, then ``tokens_per_s``; a 429 comes back after
    ``error_latency_s``. ``sample_s``: how often queue lengths are written down. To pay less
    (``course_lib.scaling.costs``): ``cache_hit_rate`` of the requests are answered by a response
    cache in a millisecond, never sent; prompts under ``route_below_tokens`` go to
    ``cheap_model``, which has its own quota."""

    concurrency: int = 100
    processes: int = 1
    client_cpu_ms: float = 1.4
    rpm: int | None = None
    tpm: int | None = None
    window_s: float = 60.0
    projects: int = 1
    client_rpm: int | None = None
    retry: str = "kit"
    attempts: int = 10
    ttft_s: float = 0.5
    tokens_per_s: float = 100.0
    error_latency_s: float = 0.05
    sample_s: float = 1.0
    model: str = DEFAULT_MODEL
    seed: int = 0
    cache_hit_rate: float = 0.0
    cheap_model: str | None = None
    route_below_tokens: int | None = None

    def __post_init__(self) -> None:
        ranges.check_fields(self, needs=("tokens_per_s",))  # ranges and messages: course_lib.ranges
        if self.retry not in SIMULATED_RETRIES:
            raise SettingError(
                "retry must be 'kit' or 'none' in a simulation: it runs the kit's retries or none "
                f"(got {self.retry!r})"
            )
        check_priced("model", self.model)
        check_priced("cheap_model", self.cheap_model)
