"""Entry point of ``python -m ember``."""

import os
import sys

from ember.cli import main

try:
    code = main()
    sys.stdout.flush()
except BrokenPipeError:
    # the reader went away (`python -m ember plugins | head -1`): not an error of ours; point
    # stdout at /dev/null so the interpreter's own flush at exit does not fail again
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 0
sys.exit(code)
