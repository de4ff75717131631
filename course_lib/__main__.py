import os
import sys

if __name__ == "__main__":  # the guard matters: spawned workers re-import the main module
    try:
        from course_lib.cli import main  # a second or so: the SDK, httpx...
    except KeyboardInterrupt:  # Ctrl-C that soon gets one line too, not an import's traceback
        print("interrupted: nothing had started yet", file=sys.stderr, flush=True)
        os._exit(130)  # at once: an import cut short can leave Python to exit by the signal
    sys.exit(main())
