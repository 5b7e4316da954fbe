"""``python -m engine.cli``: the ``dreamwalk`` command."""

import sys

from engine.cli import main

sys.exit(main())
