"""Start Dreamwalk (``python main.py``); also the packaged app's entry point.

The Qt launcher is not built yet, so this runs the ``dreamwalk`` engine command; with no arguments
it shows what the command can do.
"""

import sys

from engine.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["--help"]))
