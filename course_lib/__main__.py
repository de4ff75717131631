import os
import signal
import sys


def _interrupted_while_loading(signum: int, frame: object) -> None:
    os.write(2, b"interrupted: nothing had started yet\n")
    os._exit(130)  # at once: an import cut short can leave Python to exit by the signal


if __name__ == "__main__":  # the guard matters: spawned workers re-import the main module
    # Ctrl-C while the kit loads (a second or so: the SDK, httpx...) gets one line, not an
    # import's traceback. Not as a KeyboardInterrupt: one raised inside an import's lock callback
    # is printed and swallowed by Python ("Exception ignored in: ... _get_module_lock"), and the
    # command then ran on as if never interrupted (seen once in a CI run).
    asked = signal.getsignal(signal.SIGINT)
    if asked is signal.default_int_handler:  # not when started with Ctrl-C ignored (`cmd &`)
        signal.signal(signal.SIGINT, _interrupted_while_loading)
    if sys.argv[1:2] == ["doctor"]:  # before the kit's imports: it says what is missing
        from course_lib.preflight import main as doctor

        signal.signal(signal.SIGINT, asked)
        sys.exit(doctor(sys.argv[2:]))
    from course_lib.cli import main

    signal.signal(signal.SIGINT, asked)
    sys.exit(main())
