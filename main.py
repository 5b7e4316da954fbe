"""Start Dreamwalk (``python main.py``); also the packaged app's entry point.

``python main.py --play IMAGE --world PACK`` starts the player directly. The Qt launcher is not built
yet, so without ``--play`` this runs the ``dreamwalk`` engine command (its help when given nothing).
"""

import sys

from engine.errors import DreamwalkError


def main(argv: list[str]) -> int:
    if "--play" in argv:
        from app.player import main as play
        try:
            return play(argv)
        except DreamwalkError as error:
            print(f"dreamwalk: error: {error}", file=sys.stderr)
            return 1
    from engine.cli import main as engine
    return engine(argv or ["--help"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
