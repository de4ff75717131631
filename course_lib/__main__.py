import sys

from course_lib.cli import main

if __name__ == "__main__":  # the guard matters: spawned workers re-import the main module
    sys.exit(main())
