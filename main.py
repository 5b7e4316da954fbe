"""Start Dreamwalk (``python main.py``); also the packaged app's entry point.

``python main.py`` opens the launcher; ``python main.py --play IMAGE --world PACK`` starts the player
directly; ``python main.py COMMAND ...`` runs an engine command (as ``dreamwalk COMMAND ...``).
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
    if not argv:
        from app.launcher import main as launch
        return launch()
    from engine.cli import main as engine
    return engine(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
