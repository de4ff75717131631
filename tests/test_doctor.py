"""python -m course_lib doctor: one line a check, and what to do when one fails."""

import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from course_lib import preflight as doctor


def test_a_ready_machine_passes_every_check_in_seconds():
    start = time.perf_counter()
    checks = doctor.run_checks()
    assert time.perf_counter() - start < 30
    assert all(c.ok for c in checks), [c.shown() for c in checks]
    lines = [c.shown() for c in checks]
    assert lines[0].startswith("ok    Python 3.") and any("fake Gemini answers" in x for x in lines)


def test_a_broken_machine_is_told_what_to_do_one_line_a_problem(monkeypatch):
    real = metadata.version

    def without_widgets(name):
        if name in ("ipywidgets", "anywidget"):
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(doctor.metadata, "version", without_widgets)
    monkeypatch.setattr(doctor, "effective_cpu_count", lambda: 1)
    checks = doctor.run_checks(server="http://127.0.0.1:9")
    failed = [c.shown() for c in checks if not c.ok]
    assert failed == [
        "FIX   ipywidgets is not installed: " + doctor.INSTALL,
        "FIX   anywidget is not installed: " + doctor.INSTALL,
        "FIX   ipywidgets is not installed, so no panel or live timeline: " + doctor.INSTALL,
        "FIX   the room's server at http://127.0.0.1:9 does not answer (ConnectError): check the "
        "address (and that it was started with --host 0.0.0.0 if it is another machine)",
    ], failed
    (one_core,) = [c for c in checks if "core" in c.line]
    assert one_core.ok and one_core.warning and one_core.shown().startswith("note  1 core")
    assert not doctor.check_python((3, 10, 4)).ok


def test_the_command_exits_1_with_a_line_for_a_room_that_does_not_answer():
    command = [sys.executable, "-m", "course_lib", "doctor", "--server", "http://127.0.0.1:9"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and not done.stderr, done.stderr
    assert done.stdout.splitlines()[-1].startswith("FIX   the room's server at http://127.0.0.1:9")
    pinned = subprocess.run(["taskset", "-c", "0", *command[:4]], capture_output=True, text=True)
    assert pinned.returncode == 0 and "note  1 core this process may use" in pinned.stdout


def test_in_a_notebook_a_page_without_widgets_shows_what_to_do(capsys):
    from course_lib import doctor as notebook_doctor
    from course_lib.notebook.doctor_cell import NOT_DRAWN

    shown = notebook_doctor()
    printed = capsys.readouterr().out
    assert printed.startswith("ok    Python 3.") and "fake Gemini answers" in printed
    bundle = shown._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["text/plain"] == NOT_DRAWN  # what a page that cannot draw widgets shows
    assert "ok    this page draws widgets" in shown._esm  # what one that can draws


def test_a_room_that_knows_only_its_own_keys_still_answers_the_doctor(tmp_path):
    from course_lib.fake import FakeGemini
    from course_lib.room import RoomServer

    with RoomServer(FakeGemini(latency=0.0), keys={"k-3f9a": ("room-1", "Ana")}) as url:
        assert doctor.check_room(url + "/dashboard").shown() == (
            f"ok    the room's server at {url} answers"
        )


def test_a_python_without_the_course_is_told_so_not_a_traceback(tmp_path):
    import os

    bare = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    bare["PYTHONPATH"] = str(Path(doctor.__file__).resolve().parent.parent)
    done = subprocess.run(  # -S: no site-packages, so none of the course's packages
        [sys.executable, "-S", "-m", "course_lib", "doctor"],
        capture_output=True,
        text=True,
        timeout=120,
        env=bare,
        cwd=tmp_path,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1 and "FIX   google-genai is not installed" in done.stdout, (
        done.stdout
    )


def test_a_container_with_little_memory_is_told_to_shut_lessons_down(tmp_path):
    """Binder gives 1-2 GB: nine kernels left running reach 2.4 GB (docs/performance.md)."""
    from course_lib.machine import memory_limit
    from course_lib.preflight import check_memory

    (tmp_path / "memory.max").write_text("1073741824\n")  # cgroup v2, as Binder's 1 GB
    assert memory_limit(tmp_path) == 2**30
    (tmp_path / "memory.max").write_text("max\n")  # no limit: the machine's memory
    nowhere = tmp_path / "no such file"
    machine = memory_limit(tmp_path / "nothing here", nowhere)
    assert machine is not None and machine > 2**30
    assert memory_limit(tmp_path, nowhere) == machine
    # a container's own cgroup, below the root (v2 without a namespace of its own)
    (tmp_path / "user.slice" / "jupyter-ana").mkdir(parents=True)
    (tmp_path / "user.slice" / "jupyter-ana" / "memory.max").write_text(f"{2 * 2**30}\n")
    (tmp_path / "cgroup").write_text("0::/user.slice/jupyter-ana\n")
    assert memory_limit(tmp_path, tmp_path / "cgroup") == 2 * 2**30
    small = check_memory(2**31)
    assert small.ok and small.warning and "shut a lesson down" in small.shown()
    assert small.shown().startswith("note  2.0 GiB of memory here")
    roomy = check_memory(24 * 2**30)
    assert roomy.ok and not roomy.warning and "every lesson's kernel at once" in roomy.line
    assert check_memory(3 * 2**30 - 1).warning and not check_memory(3 * 2**30).warning
