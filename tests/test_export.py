"""Chrome trace-event export: read the file back and check events, names and nesting."""

import json
from collections import defaultdict

import pytest

from course_lib.run.runner import run_scenario_sync
from course_lib.run.settings import ScenarioSettings
from course_lib.trace.export import chrome_trace, save_trace
from course_lib.trace.lanes import Lane, named
from course_lib.trace.spans import Span, Tracer

# No timing in these checks: make test runs them beside the lessons (tests/conftest.py)
pytestmark = pytest.mark.beside_lessons


def tracks(events):
    """{(pid, tid): [complete events]} and {(pid, tid): track name}."""
    by_track, names = defaultdict(list), {}
    for e in events:
        if e["ph"] == "X":
            by_track[(e["pid"], e["tid"])].append(e)
        elif e["name"] == "thread_name":
            names[(e["pid"], e["tid"])] = e["args"]["name"]
    return by_track, names


def assert_no_overlap_on_any_track(by_track):
    for events in by_track.values():
        events = sorted(events, key=lambda e: e["ts"])
        for a, b in zip(events, events[1:], strict=False):
            assert a["ts"] + a["dur"] <= b["ts"] + 1e-3, (a, b)


def test_a_run_saved_as_a_trace_loads_back_with_every_span(tmp_path):
    result = run_scenario_sync(
        "hybrid-pipelined", ScenarioSettings(prompts=4, latency=0.05, concurrency=2, processes=2)
    )
    path = save_trace(result, tmp_path / "run.json")
    trace = json.loads(path.read_text())
    events = trace["traceEvents"]
    complete = [e for e in events if e["ph"] == "X"]
    assert len(complete) == len(result.spans)
    assert {e["cat"] for e in complete} == {s.phase for s in result.spans}
    assert all(e["ts"] >= 0 and e["dur"] >= 0 for e in complete)  # microseconds from the start
    longest = max(s.duration for s in result.spans)
    assert max(e["dur"] for e in complete) == round(longest * 1e6, 3)
    by_track, names = tracks(events)
    assert set(names.values()) == {str(s.lane) for s in result.spans}
    processes = {e["args"]["name"] for e in events if e["name"] == "process_name"}
    assert {"process 1", "process 2"} & processes  # worker processes are named as on the timeline
    assert_no_overlap_on_any_track(by_track)
    labels = {e["args"]["label"] for e in complete}
    assert "Explain AI in 50 words" in labels


def test_calls_that_overlap_on_one_lane_get_tracks_of_their_own():
    lane = named("thread", 1)
    spans = [
        Span(0, lane, "in_flight", 0.0, 1.0, 42, label="a"),
        Span(1, lane, "in_flight", 0.5, 1.5, 42, label="b"),  # overlaps a, but does not nest
        Span(2, lane, "in_flight", 1.2, 2.0, 42, label="c"),  # fits after a
        Span(3, Lane("process", 7), "cpu", 0.0, 0.1, 7),
    ]
    by_track, names = tracks(chrome_trace(spans)["traceEvents"])
    assert sorted(names.values()) == ["process 1", "thread 1", "thread 1 (2)"]
    assert_no_overlap_on_any_track(by_track)
    labels = sorted(sorted(e["args"]["label"] for e in events) for events in by_track.values())
    assert labels == [[""], ["a", "c"], ["b"]]


def test_a_tracer_saves_what_it_recorded(tmp_path):
    tracer = Tracer()
    tracer.spans = [Span(0, named("coroutine", 1), "cpu", 10.0, 10.25, 1, label="x")]
    trace = json.loads(save_trace(tracer, tmp_path / "t.json").read_text())
    (event,) = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert (event["ts"], event["dur"], event["name"]) == (0.0, 250000.0, "CPU work")
