"""main.py from a terminal: its help, and what it prints (one line for a real problem, nothing for a working run)
where there is no display or no usable GPU."""

import pytest
from PIL import Image

from app.player import Player, PlayerOptions
from conftest import NO_GPU_LINE, bare_env, cuda_really_works, png_header, run_main


def test_main_help_describes_the_launcher_and_the_players_options(tmp_path):
    run = run_main("--help", env=bare_env(tmp_path))
    assert run.returncode == 0 and run.stderr == ""
    for wanted in ("open the launcher", "--play IMAGE", "--screenshot", "--world PACK", "--record", "--agent",
                   "--device", "--scale", "--dream-idle", "F1"):
        assert wanted in run.stdout, wanted
    assert "record a policy playing a simulator" not in run.stdout     # the engine's own commands list


def test_recording_without_a_display_prints_no_warning(tiny_pack, prompt, tmp_path):
    clip = tmp_path / "clip.mp4"
    run = run_main("--play", prompt, "--world", tiny_pack, "--device", "cpu", "--frames", "3", "--agent", "random",
                   "--record", clip, env=bare_env(tmp_path))
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert clip.stat().st_size > 0
    interactive = run_main("--play", prompt, "--world", tiny_pack, "--device", "cpu", env=bare_env(tmp_path))
    assert interactive.returncode == 1                                 # a real problem still says so, in one line
    assert interactive.stderr.startswith("dreamwalk: error: there is no display")
    assert interactive.stderr.count("\n") == 1


@pytest.mark.parametrize("width, height, message", [(1, 1, "is only 1x1 pixels"),
                                                    (10000, 10000, "is too large: 10000x10000 pixels")])
def test_tiny_and_huge_pictures_are_one_error_line_from_the_command_line(tiny_pack, tmp_path, width, height,
                                                                        message):
    path = tmp_path / "picture.png"
    if width > 1:
        png_header(path, width, height)
    else:
        Image.new("RGB", (1, 1)).save(path)
    run = run_main("--play", path, "--world", tiny_pack, env=bare_env(tmp_path, SDL_VIDEODRIVER="dummy"))
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.startswith(f"dreamwalk: error: picture.png {message}")


def test_a_cuda_fallback_is_one_plain_line_and_auto_is_quiet(tiny_pack, prompt, tmp_path):
    if cuda_really_works(tiny_pack):
        pytest.skip("CUDA works on this machine: nothing falls back")
    env = bare_env(tmp_path, SDL_VIDEODRIVER="dummy")
    common = ["--play", prompt, "--world", tiny_pack, "--frames", "2", "--agent", "random"]
    auto = run_main(*common, env=env)
    assert auto.returncode == 0 and auto.stderr == ""                 # no libcublas line on every run
    cuda = run_main(*common, "--device", "cuda", env=env)
    assert cuda.returncode == 0 and cuda.stderr == f"dreamwalk: {NO_GPU_LINE}\n"
    player = Player(PlayerOptions(prompt=str(prompt), world=str(tiny_pack), device="cuda"))
    assert player.message == NO_GPU_LINE                               # in the window too
    player.close()
