"""Start Dreamwalk (``python main.py``); also the packaged app's entry point.

``python main.py`` opens the launcher; ``python main.py --play IMAGE --world PACK`` (or ``--scene S``) starts
the player directly; ``python main.py --screenshot OUT.png`` saves a picture of the launcher and exits;
``python main.py COMMAND ...`` runs an engine command (as ``dreamwalk COMMAND ...``).
"""

import sys

from engine.errors import DreamwalkError

USAGE = """\
usage: python main.py                          open the launcher: pick a picture and a world, then Play
       python main.py --play IMAGE [OPTIONS]   play a world from a picture (the player's options below)
       python main.py --scene S.dwscene        go on from a kept scene (F6 in the player keeps one)
       python main.py --screenshot OUT.png     save a picture of the launcher and exit
"""
ENGINE_USAGE = """\
       python main.py COMMAND --help           an engine command (collect, train, export, eval, ...)
"""
ABOUT = """
Dreamwalk turns a picture into a world you can walk through: every frame is dreamed by a world model.
In the player, F1 shows the keys.

"""


def main(argv: list[str]) -> int:
    if argv[:1] == ["--builder-worker"]:              # the world builder's worker (engine.runtime.building)
        from engine.memory.worker import serve
        serve(sys.stdin.buffer, sys.stdout.buffer)
        return 0
    if argv and argv[0] in ("-h", "--help"):
        from app.player import build_parser

        engine = "" if getattr(sys, "frozen", False) else ENGINE_USAGE     # the app ships without the engine's tools
        print(USAGE + engine + ABOUT + build_parser().format_help())
        return 0
    engine_command = bool(argv) and not argv[0].startswith("-")     # `render LOG --scene S` is the engine's
    if not engine_command and ("--play" in argv or "--scene" in argv):
        from app.player import main as play
        try:
            return play(argv)
        except DreamwalkError as error:
            print(f"dreamwalk: error: {error}", file=sys.stderr)
            return 1
    if not argv or argv[0] == "--screenshot":
        from app.launcher import main as launch
        return launch(screenshot=argv[1] if len(argv) > 1 else None)
    try:
        from engine.cli import main as engine
    except ImportError:
        if getattr(sys, "frozen", False):
            print("dreamwalk: error: the desktop app plays worlds; engine commands (collect, train, export, ...) "
                  "need the source install: python3 dev.py start", file=sys.stderr)
            return 2
        raise
    return engine(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
