"""Latency models, quotas, answers, CPU work and the core count: exact, with no real waiting."""

import random
import statistics

import pytest

from course_lib.fake.answers import answer_for, count_tokens, topic_of, truncate_to_tokens
from course_lib.fake.latency import Fixed, Jittered, TokenRate, latency_model
from course_lib.fake.quota import Quota
from course_lib.machine import cgroup_cpu_quota, effective_cpu_count
from course_lib.run.workloads import analyse, burn, calibrate, iterations_for

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons


def test_latency_models():
    rng = random.Random(0)
    assert Fixed(2.0).draw(0.7, 100) == (0.4, 2.0)
    assert Jittered(1.0, 0.5).draw(0.0, 0)[1] == 0.5 and Jittered(1.0, 0.5).draw(0.5, 0)[1] == 1.0
    uniform = [Jittered(1.0, 0.5).draw(rng.random(), 0)[1] for _ in range(2000)]
    assert 0.5 <= min(uniform) and max(uniform) <= 1.5
    assert statistics.mean(uniform) == pytest.approx(1.0, abs=0.03)
    lognormal = [Jittered(1.0, 0.5, "lognormal").draw(rng.random(), 0)[1] for _ in range(2000)]
    assert statistics.median(lognormal) == pytest.approx(1.0, abs=0.05)
    assert max(lognormal) > 1.8  # a long right tail
    assert Jittered(1.0, 0.5, "lognormal").draw(0.5, 0)[1] == pytest.approx(1.0)  # the median
    assert TokenRate(0.3, 50).draw(0.5, 100) == (0.3, 2.3)
    assert TokenRate(0.3, 50, relative_jitter=0.1).draw(1.0, 100) == pytest.approx((0.33, 2.53))
    assert isinstance(latency_model(1.0), Fixed) and isinstance(latency_model(1.0, 0.2), Jittered)
    with pytest.raises(ValueError):
        Jittered(1.0, 0.1, "gaussian")


def test_the_window_edge_is_exact():
    quota = Quota(rpm=2)
    assert quota.admit("k", 1, 0.0) is None and quota.admit("k", 1, 0.0) is None
    assert quota.admit("k", 1, 59.999) == pytest.approx(0.001)
    assert quota.admit("k", 1, 60.0) is None  # a minute after the first, it has left the window
    assert quota.admit("k", 1, 60.0) is None
    assert quota.admit("k", 1, 60.0) == pytest.approx(60.0)


def test_requests_per_minute_sliding_window():
    quota = Quota(rpm=3)
    assert [quota.admit("k", 1, t) for t in (0.0, 10.0, 20.0)] == [None, None, None]
    assert quota.admit("k", 1, 30.0) == pytest.approx(30.0)  # the call at t=0 leaves at t=60
    assert quota.admit("other-key", 1, 30.0) is None
    assert quota.admit("k", 1, 60.0) is None


def test_tokens_per_minute():
    quota = Quota(tpm=100)
    assert quota.admit("k", 60, 0.0) is None
    assert quota.admit("k", 30, 5.0) is None
    assert quota.admit("k", 30, 6.0) == pytest.approx(54.0)
    assert quota.admit("k", 500, 7.0) == 60.0  # never fits: a whole window
    assert Quota().admit("k", 10**9, 0.0) is None  # no limits, no waiting


def test_answers_and_tokens():
    assert topic_of("What is the GIL?") == "GIL"
    assert count_tokens("") == 0 and count_tokens("abcde") == 2
    text = answer_for("Tell me about sourdough bread", random.Random(3))
    assert "sourdough bread" in text
    assert truncate_to_tokens(text, 5) == text[: len(truncate_to_tokens(text, 5))]
    assert count_tokens(truncate_to_tokens(text, 5)) <= 5


def test_cpu_workload():
    assert burn(1000) == burn(1000) != burn(1001)
    assert calibrate() > 100
    assert iterations_for(10) == 10 * calibrate()
    with pytest.raises(ValueError):
        iterations_for(-1)
    result = analyse("Robots fold cranes. Robots dream!", iterations=10)
    assert result["words"] == 5 and result["sentences"] == 2 and result["top_words"][0] == "robots"


def test_cgroup_quota(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_cpu_quota(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_quota(tmp_path) is None
    assert cgroup_cpu_quota(tmp_path / "missing") is None


def test_the_effective_core_count_is_the_smallest_limit():
    assert effective_cpu_count(16, 16, 2.0, look=False) == 2  # Binder: the quota wins
    assert effective_cpu_count(16, 16, 1.5, look=False) == 2  # part of a core counts as one
    assert effective_cpu_count(16, 4, None, look=False) == 4  # taskset: the affinity wins
    assert effective_cpu_count(8, None, None, look=False) == 8
    assert effective_cpu_count(None, None, 0.5, look=False) == 1
