"""Entry point of ``python -m ember``."""

import sys

from ember.cli import main

sys.exit(main())
