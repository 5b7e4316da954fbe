"""The ``dreamwalk`` command: the engine's stages. Each subcommand is listed only once it exists."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import DreamwalkError
from engine.interrupts import stop_on_signals

if TYPE_CHECKING:
    from engine.models.sampling import SamplerConfig
    from engine.runtime.bench import BenchConfig


def _collect(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine.data.collect import CollectPlan, collect
    from engine.data.sources import parse_places

    plan = CollectPlan(source=args.source, maps=tuple(parse_places(args.source, args.maps)), frames=args.frames,
                       policy=args.policy, seed=args.seed, episode_frames=args.episode_frames, depth=args.depth,
                       weapon=not args.hide_weapon)
    bar = tqdm(total=plan.frames, unit="frame", desc=f"collect {plan.source}", dynamic_ncols=True,
               disable=args.quiet)

    def advance(index: int, frames: int) -> None:
        bar.update(frames)
        bar.set_postfix_str(f"episode {index + 1}/{plan.episodes}")

    stop_on_signals()
    try:
        result = collect(plan, Path(args.out), advance)
    except KeyboardInterrupt:
        bar.close()
        print(f"interrupted: every finished shard is kept in {args.out}; run the same command to continue",
              file=sys.stderr)
        return 130
    bar.close()
    print(f"{args.out}: recorded {result['recorded']} episodes, kept {result['skipped']} finished earlier "
          f"({result['episodes']} planned, {plan.frames:,} frames)")
    return 0


def _data_info(args: argparse.Namespace) -> int:
    from engine.data.inspect import dataset_info, format_info

    info = dataset_info(Path(args.folder), verify=args.verify)
    print(json.dumps(info, indent=1) if args.json else format_info(info))
    return 0


def _data_preview(args: argparse.Namespace) -> int:
    from engine.data.inspect import preview_clip, preview_sheet
    from engine.errors import DataError

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix == ".png":
        preview_sheet(Path(args.folder), out, count=args.frames or 48)
    elif suffix == ".mp4":
        preview_clip(Path(args.folder), out, frames=args.frames or 600, episode=args.episode)
    else:
        raise DataError(f"--out must end in .png (a contact sheet) or .mp4 (a clip), got {out.name!r}")
    print(f"wrote {out}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from engine.config import apply_overrides
    from engine.training.presets import preset_overrides

    if args.stage == "autoencoder":
        from engine.training.autoencoder import AutoencoderTrainConfig as Config, train_autoencoder as run
    elif args.stage == "dynamics":
        from engine.training.dynamics import DynamicsTrainConfig as Config, train_dynamics as run
    elif args.stage == "decoder":
        from engine.training.decoder import DecoderTrainConfig as Config, train_decoder as run
    elif args.stage == "depth":
        from engine.training.depth import DepthTrainConfig as Config, train_depth as run
    else:
        from engine.training.distill import DistillConfig as Config, train_student as run
    config = apply_overrides(Config(), preset_overrides(args.stage, args.preset))
    quick = {"data": getattr(args, "data", None), "teacher": getattr(args, "teacher", None), "train.out": args.out}
    apply_overrides(config, {key: value for key, value in quick.items() if value is not None})
    apply_overrides(config, args.set)
    summary = run(config, quiet=args.quiet)
    state = "interrupted: saved" if summary["interrupted"] else "finished"
    print(f"{state} at step {summary['step']} ({summary['samples']:,} samples, "
          f"{summary['trained_minutes']:.1f} min) in {config.train.out}")
    return 130 if summary["interrupted"] else 0


def evaluation_lines(report: dict) -> list[str]:
    """A `dreamwalk eval` report for people: ceilings, each horizon against the copy-prompt baseline and,
    where the report has it, the turned-prompt one (with standard errors over the windows where the report
    has them) and the long rollouts."""
    auto, copy = report["autoregressive"], report["copy_prompt_psnr"]
    error = auto.get("stderr")
    lines = [f"autoencoder PSNR {report['autoencoder_psnr']:.2f} dB, sharpness ratio "
             f"{report['autoencoder_sharpness_ratio']:.2f}; teacher-forced next frame "
             f"PSNR {report['teacher_forced']['psnr']:.2f} dB SSIM {report['teacher_forced']['ssim']:.3f}"]
    if error:
        lines.append(f"  (± standard errors over the {report['windows']} windows)")
    for h in copy:
        vs_copy = f": {auto['vs_copy'][h]:+.2f} ± {error['vs_copy'][h]:.2f}" if error else ""
        dtpsnr = f"{auto['dtpsnr'][h]:+.2f}" + (f" ± {error['dtpsnr'][h]:.2f}" if error else "")
        rotated = ""
        if "vs_rotated" in auto:             # ViZDoom reports
            rotated = (f"; turned prompt {report['rotated_prompt_psnr'][h]:.2f}: {auto['vs_rotated'][h]:+.2f}"
                       + (f" ± {error['vs_rotated'][h]:.2f}" if error and "vs_rotated" in error else ""))
        lines.append(f"  horizon {h:>2}: PSNR {auto['psnr'][h]:.2f} dB (copy prompt {copy[h]:.2f}{vs_copy}"
                     f"{rotated}), dTPSNR {dtpsnr} dB, sharpness ratio {auto['sharpness_ratio'][h]:.2f}")
    if "long_rollout" in report:
        long = report["long_rollout"]
        low, high = long["contrast_ratio_range"]
        sharp_low, sharp_high = long["sharpness_ratio_range"]
        places = f" from {', '.join(long['prompts'])}" if long.get("prompts") else ""
        lines.append(f"  {long['frames']}-frame rollouts{places}: contrast ratio "
                     f"{low:.2f}-{high:.2f}, sharpness ratio {sharp_low:.2f}-{sharp_high:.2f}, flat frames "
                     f"{long['flat_frames']}, blurred frames {long.get('blurred_frames', '-')}, "
                     f"{long['ms_per_frame']:.1f} ms/frame")
    return lines


def sampler_config(args: argparse.Namespace) -> "SamplerConfig":
    """The sampler flags (declared from SamplerConfig's fields by ``add_sampler_flags``) as a SamplerConfig."""
    from dataclasses import fields

    from engine.models.sampling import SamplerConfig

    return SamplerConfig(**{item.name: getattr(args, item.name) for item in fields(SamplerConfig)})


def add_sampler_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per SamplerConfig field, its help and type from the dataclass (eval and export share them)."""
    import typing
    from dataclasses import fields

    from engine.models.sampling import SamplerConfig

    hints = typing.get_type_hints(SamplerConfig)
    for item in fields(SamplerConfig):
        kind = next(k for k in typing.get_args(hints[item.name]) if k is not type(None))
        parser.add_argument(item.metadata["flag"], dest=item.name, choices=item.metadata.get("choices"),
                            type=positive_float if item.metadata.get("positive") else kind, help=item.metadata["help"])


def _compare(args: argparse.Namespace) -> int:
    from engine.evaluation.compare import paired, paired_lines, pool, pooled_lines

    def read(path: str) -> dict:
        try:
            return json.loads(Path(path).read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise DreamwalkError(f"{path} is not a readable eval.json: {error}") from error

    if args.paired:
        first, second = (read(path) for path in args.paired)
        try:
            result = paired(first, second)
        except (ValueError, KeyError) as error:
            raise DreamwalkError(str(error)) from error
        print("\n".join(paired_lines(first, result)))
    else:
        try:
            result = pool([read(path) for path in args.pooled])
        except (KeyError, TypeError) as error:
            raise DreamwalkError(f"a report lacks {error}: not a `dreamwalk eval` report") from error
        print("\n".join(pooled_lines(result)))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


def _prompt_rollouts(args: argparse.Namespace) -> int:
    from engine.evaluation.prompts import prompt_rollouts

    prompt_rollouts(args.world, Path(args.prompts), Path(args.out), frames=args.frames, precision=args.precision)
    print(f"wrote {args.out}/prompt_rollouts.json, prompt_rollouts.png, prompt_rollouts_still.png")
    return 0


def checkpoint_eval_config(args: argparse.Namespace, sampling: "SamplerConfig") -> tuple[str, "SamplerConfig"]:
    """A checkpoint's source and its sampler resolved against it (before minutes of recording, not after)."""
    from engine.config import from_dict
    from engine.models.checkpoint import checkpoint_meta
    from engine.models.denoiser import DiffusionConfig

    if args.precision != "auto":
        raise DreamwalkError("--precision: for world packs; a checkpoint is measured in PyTorch (fp32)")
    if args.embed:
        raise DreamwalkError("--embed: for world packs; a checkpoint's eval.json goes into its pack with "
                             "'dreamwalk export --metrics'")
    meta = checkpoint_meta(Path(args.world))          # the tensors load once, in the evaluation
    try:
        resolved = sampling.resolve(meta, from_dict(DiffusionConfig, meta["config"]["diffusion"]))
    except ValueError as error:
        raise DreamwalkError(str(error)) from error
    return args.source or meta.get("world", {}).get("source", "vizdoom"), resolved


def pack_eval_config(args: argparse.Namespace, sampling: "SamplerConfig") -> tuple[str, "SamplerConfig"]:
    """A pack's source and sampler (its own: only --guidance may change it)."""
    from engine.models.sampling import SamplerConfig
    from engine.runtime.session import WorldSession

    checkpoint_only = [flag for flag in sampling.given() if flag != "--guidance"]
    checkpoint_only += ["--autoencoder"] if args.autoencoder else []
    if checkpoint_only:
        raise DreamwalkError(f"{', '.join(checkpoint_only)}: for checkpoints; a world pack is measured with "
                             "its own sampler settings")
    if args.embed and (Path(args.world).is_dir() or not os.access(Path(args.world).parent, os.W_OK)):
        raise DreamwalkError(f"--embed: {args.world} is a pack folder or in a folder this user cannot write; "
                             "give a zip pack that can be rewritten")
    with WorldSession.open(args.world, device="cpu", precision=args.precision) as session:   # verified now
        source = args.source or session.manifest.get("source", "vizdoom")
        guidance = session.settings.guidance_scale
    return source, SamplerConfig("", 0, guidance if sampling.guidance_scale is None else sampling.guidance_scale)


def _revisits(args: argparse.Namespace) -> int:
    from engine.evaluation.revisits import RevisitConfig, evaluate_revisits, revisit_lines

    if args.world and not Path(args.world).exists():
        raise DreamwalkError(f"no world pack at {args.world}")
    config = RevisitConfig(world=args.world, maps=args.maps or "MAP21-MAP24", starts_per_map=args.windows_per_map,
                           seed=args.seed, out=args.out, display_size=display_size(args.size), prompts=args.prompts)
    from tqdm import tqdm

    with tqdm(total=0, unit="start", desc="revisits", dynamic_ncols=True) as bar:
        def progress(protocol: str, done: int, starts: int) -> None:
            if done == 0:                          # a new protocol: its own count of starts
                bar.reset(total=starts)
                bar.set_description(f"revisits {protocol}")
            bar.n = done
            bar.refresh()

        report = evaluate_revisits(config, progress)
    print("\n".join(revisit_lines(report)))
    (Path(config.out) / "revisits.json").write_text(json.dumps(report, indent=1))
    print(f"wrote {config.out}/revisits.json, full_turn.png")
    return 0


def is_depth_checkpoint(path: str) -> bool:
    if not str(path).endswith(".safetensors") or not Path(path).is_file():
        return False
    from engine.models.checkpoint import checkpoint_meta

    return checkpoint_meta(Path(path)).get("kind") == "depth"


def _depth_eval(args: argparse.Namespace) -> int:
    from engine.evaluation.depth import evaluate_depth

    if not args.data:
        raise DreamwalkError("a depth checkpoint is measured on held-out frames recorded with depth: give --data "
                             "(e.g. dreamwalk collect --maps MAP21-MAP24 --depth --hide-weapon --out DIR)")
    report = evaluate_depth(args.world, args.data, args.out, args.prompts)
    errors, reference = report["errors"], report["median_reference"]
    print(f"{report['frames']} held-out frames at {report['size'][0]}x{report['size'][1]}: AbsRel "
          f"{errors['abs_rel']:.3f}, delta<1.25 {errors['delta_1_25']:.3f}, RMSE log {errors['rmse_log']:.3f} "
          f"(per-pixel median depth, no network: {reference['abs_rel']:.3f} / {reference['delta_1_25']:.3f} / "
          f"{reference['rmse_log']:.3f})")
    print(f"wrote {args.out}/depth.json" + (", depth_prompts.png" if args.prompts else ""))
    return 0


def _eval(args: argparse.Namespace) -> int:
    if args.paired or args.pooled:
        return _compare(args)
    if args.revisits:
        return _revisits(args)
    if not args.world:
        raise DreamwalkError("eval needs a world (a checkpoint or a pack), or --paired / --pooled reports")
    if is_depth_checkpoint(args.world):
        return _depth_eval(args)
    if args.prompts:
        return _prompt_rollouts(args)
    from engine.data.sources import HELD_OUT, parse_places
    from engine.evaluation.evaluate import EvalConfig, evaluate, is_pack

    sampling = sampler_config(args)
    # The pack's graphs and sampler, as the player runs them on a CPU; a checkpoint in PyTorch.
    source, sampling = (pack_eval_config if is_pack(args.world) else checkpoint_eval_config)(args, sampling)
    maps = args.maps or HELD_OUT.get(source, "")
    parse_places(source, maps)            # an unknown source or place: one error line before any recording
    config = EvalConfig(world=args.world, source=source, maps=maps, windows_per_map=args.windows_per_map,
                        horizon=args.horizon, sampling=sampling, long_rollout=args.long, long_prompts=args.long_prompts,
                        guidance_sweep=[float(x) for x in args.sweep.split(",") if x],
                        autoencoder=args.autoencoder or "", precision=args.precision, seed=args.seed, out=args.out)
    report = evaluate(config)
    print("\n".join(evaluation_lines(report)))
    print(f"wrote {config.out}/eval.json, strips.png, psnr_vs_horizon.png")
    if args.embed:
        from engine.pack import embed_metrics

        embed_metrics(args.world, report)
        print(f"the report is now {args.world}'s metrics")
    return 0


def _export(args: argparse.Namespace) -> int:
    from engine.export.export import ExportConfig, export_world

    metrics = json.loads(Path(args.metrics).read_text()) if args.metrics else {}
    config = ExportConfig(args.checkpoint, args.out, name=args.pack_name, description=args.description,
                          license=args.license, sampling=sampler_config(args), metrics=metrics,
                          autoencoder=args.autoencoder or "", fp16=args.fp16, int8=args.int8)
    result = export_world(config)
    print(f"wrote {result['out']} ({result['bytes'] / 2**20:.1f} MiB); ONNX vs PyTorch over a rollout: "
          f"max |latent difference| {result['parity_max_abs_difference']:.1e}"
          + "".join(f", {name} {result[f'{name}_max_abs_difference']:.1e}" for name in ("fp16", "int8")
                    if result[f"{name}_max_abs_difference"] is not None))
    return 0


def _recover(args: argparse.Namespace) -> int:
    from engine.export.recover import recover_world

    result = recover_world(args.pack, args.out)
    print(f"wrote {result['dynamics']} and {result['autoencoder']}; re-exported, they reproduce the pack's "
          f"graphs to {max(result['dynamics_max_abs_difference'], result['autoencoder_max_abs_difference']):.1e}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from engine.pack import VARIANTS, open_pack

    pack = open_pack(args.pack)
    try:
        manifest = pack.manifest
        if args.json:
            print(json.dumps(manifest, indent=1))
            return 0
        if args.card:
            card = manifest.get("model_card")
            print((pack.folder / card["file"]).read_text() if card else f"{args.pack} has no model card")
            return 0 if card else 1
        frame, sampler, training = manifest["frame"], manifest["sampler"], manifest["training"]
        print(f"{manifest['name']}: {manifest['description']}")
        print(f"frames {frame['width']}x{frame['height']} at {frame['fps']} fps, {manifest['context_frames']} frames "
              f"of context; sampler {sampler['name']} x{sampler['steps']}, guidance {sampler['guidance_scale']}")
        print(f"actions: {', '.join(manifest['actions']['keys'])} (turn ±{manifest['actions']['turn_range']}°, "
              f"look ±{manifest['actions']['look_range']}° per frame)")
        print(f"trained on {training['data']}: {training['steps']} steps, {training['samples']:,} windows, "
              f"{training['hours']} h on {training['hardware']}; license: {manifest['license'] or 'not given'}")
        print("graphs: " + ", ".join(name + "".join(f" +{variant}" for variant in VARIANTS if graph.get(variant))
                                     for name, graph in manifest["graphs"].items()))
        metrics = manifest.get("metrics")
        if metrics:
            how = (f"the pack as played, {metrics['precision']} dynamics" if "precision" in metrics
                   else "the PyTorch model before export")
            print(f"evaluation ({how}) on {', '.join(metrics['maps'])}, {metrics['windows']} windows "
                  "(all of it: --json):")
            try:
                print("\n".join(evaluation_lines(metrics)))
            except (KeyError, TypeError, ValueError):
                print("  (an older report this version cannot summarise)")
        if manifest.get("model_card"):
            print("model card: dreamwalk info PACK --card")
    finally:
        pack.close()
    return 0


def bench_config(args: argparse.Namespace) -> "BenchConfig":
    from engine.runtime.bench import BenchConfig

    choices = {"auto": None, "on": True, "off": False}
    unknown = [x for x in args.io_binding.split(",") if x not in choices]
    if unknown:
        raise DreamwalkError(f"--io-binding takes a comma list of auto, on and off, not {unknown[0]!r}")
    try:
        steps = [int(x) for x in args.steps.split(",")] if args.steps else [None]
    except ValueError:
        raise DreamwalkError(f"--steps takes a comma list of step counts, not {args.steps!r}") from None
    return BenchConfig(args.pack, args.device.split(","), steps, args.frames, args.precision.split(","),
                       [choices[x] for x in args.io_binding.split(",")], args.rounds, display_size(args.size),
                       args.prompt)


def display_size(text: str | None) -> tuple[int, int] | None:
    """'640x480' -> (640, 480); None stays None; anything else is one error line."""
    if not text:
        return None
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise DreamwalkError(f"--size takes WIDTHxHEIGHT, such as 160x120, not {text!r}") from None
    return width, height


def _bench(args: argparse.Namespace) -> int:
    from engine.runtime.bench import run_bench

    if args.check:
        from engine.runtime.check import check_device

        if not args.json:
            raise DreamwalkError("--check writes its report as it goes: give --json OUT.json")
        return check_device(args.pack or str(Path(__file__).resolve().parents[1] / "assets" / "worlds" / "doom.dwpack"),
                            Path(args.json), args.device if args.device != "auto" else "cuda", args.frames)
    config = bench_config(args)
    results = run_bench(config)
    for row in results if config.rounds <= 1 else []:
        print(f"{row['provider']:<22} {row['precision']:<4} {'bound' if row['io_binding'] else 'host ':<5} "
              f"{row['size'][0]}x{row['size'][1]}{' +memory' if row['memory'] else ''} "
              f"{row['sampler']} x{row['steps']:<2} "
              f"({row['network_evaluations_per_frame']:>2} "
              f"evaluations/frame): median {row['median_ms']:6.1f} ms, p99 {row['p99_ms']:6.1f} ms, "
              f"{row['fps']:6.1f} frames/s; first frame {row['first_frame_s']:.2f} s after open")
        if row["surround_s"]:
            timings = row["surround_s"]
            print(f"  surround: coarse {timings['coarse']:.2f} s before the first frame, refined in "
                  f"{timings.get('refined', 0):.2f} s beside play, waited for {timings.get('waited', 0):.2f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


def _pack_int8(args: argparse.Namespace) -> int:
    from engine.export.int8 import add_int8

    difference = add_int8(args.pack, args.out)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 2**20:.1f} MiB): int8 dynamics beside fp32, "
          f"max |latent difference| over the rollout {difference:.1e}")
    return 0


def _pack_memory(args: argparse.Namespace) -> int:
    from engine.export.memory import add_memory
    from engine.memory.builder import BuilderConfig

    result = add_memory(args.pack, args.depth, args.motion, args.out,
                        builder=None if args.no_builder else BuilderConfig())
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 2**20:.1f} MiB): a world memory, its depth graph within "
          f"{result['depth_difference']:.1e} of PyTorch, the camera's motion fitted on {result['motion_frames']:,} "
          "recorded frames")
    return 0


def _pack_card(args: argparse.Namespace) -> int:
    from engine.export.card import write_model_card

    for path in (args.pack, args.eval, args.bench, args.prompts, args.notes):
        if not Path(path).is_file():
            raise DreamwalkError(f"no file at {path}")
    write_model_card(argparse.Namespace(**{**vars(args), **{key: Path(getattr(args, key)) for key in (
        "pack", "eval", "bench", "prompts", "notes", "out")}}))
    return 0


def _average(args: argparse.Namespace) -> int:
    from engine.training.average import average_checkpoints

    try:
        weights = [float(w) for w in args.weights.split(",")]
    except ValueError:
        raise DreamwalkError(f"--weights takes a comma list of numbers in [0, 1], not {args.weights!r}") from None
    for path in average_checkpoints(args.first, args.second, weights, args.out):
        print(f"wrote {path}")
    return 0


def _data_prompts(args: argparse.Namespace) -> int:
    from engine.data.prompts import render_prompts

    captions = render_prompts(Path(args.out), frames=args.frames)
    print(f"wrote {len(captions)} prompts and captions.json into {args.out}")
    return 0


def _render(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from tqdm import tqdm

    from engine.runtime.images import check_prompt_file
    from engine.runtime.session import WorldSession
    from engine.runtime.action_log import read_action_log, read_log_header
    from engine.runtime.walkthrough import check_video_size, render_walkthrough, resolve_world

    log, out = Path(args.log), Path(args.out)
    header = read_log_header(log)
    actions = read_action_log(log)
    size = display_size(args.size) or (640, 480)
    check_video_size(size)
    if args.fps is not None and not 0 < args.fps <= 1000:
        raise DreamwalkError(f"--fps takes a frame rate above 0 and up to 1000, not {args.fps:g}")
    # A path the log names is taken as it is, else beside the log (a clip moved with its prompt or scene).
    named = args.scene or args.prompt or header.get("scene") or header["prompt"]
    start_path = str(log.parent / named) if not Path(named).exists() and (log.parent / named).exists() else named
    from_scene = bool(args.scene or (not args.prompt and header.get("scene")))
    if from_scene:
        from engine.runtime.scene import open_scene

        scene = open_scene(start_path)
        world, seed = args.world or scene.world, scene.seed if args.seed is None else args.seed
        scene = replace(scene, seed=seed)                # a scene starts with its own seed unless told
    else:
        check_prompt_file(start_path)
        world, seed = args.world or header["world"], header["seed"] if args.seed is None else args.seed
    try:                                  # before the world opens: an unwritable folder is found in a moment
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DreamwalkError(f"cannot write the walkthrough to {out}: cannot make the folder {out.parent} "
                             f"({error.strerror or error})") from None
    if not os.access(out.parent, os.W_OK):
        raise DreamwalkError(f"cannot write the walkthrough to {out}: this user cannot write in {out.parent}")
    with WorldSession.open(resolve_world(world), device=args.device, seed=seed, display_size=size) as session:
        start = (lambda: session.start_scene(scene)) if from_scene else (lambda: session.reset(start_path, seed=seed))
        fps = args.fps or session.fps
        bar = tqdm(total=len(actions) + 1, unit="frame", desc=f"render {out.name}", dynamic_ncols=True)

        def advance(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        stop_on_signals()
        try:
            frames = render_walkthrough(session, start, actions, out, fps=args.fps, progress=advance, sheet=args.sheet)
        except KeyboardInterrupt:
            bar.close()
            print(f"interrupted: {out} keeps the {bar.n} frames written and plays as it is", file=sys.stderr)
            return 130
        bar.close()
    print(f"wrote {out}: {frames} frames at {size[0]}x{size[1]}, {frames / fps:.1f} s at {fps:g} fps")
    return 0


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive noise level, got {text}")
    return value


def count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def add_collect(commands: Any) -> None:
    collect = commands.add_parser("collect", help="record a policy playing a simulator into episode shards",
                                  description="Record gameplay into episode shards. Ctrl-C keeps every "
                                  "finished shard; the same command continues.")
    collect.add_argument("--source", required=True, help="vizdoom or miniworld")
    collect.add_argument("--maps", required=True,
                         help="vizdoom: MAP01-MAP20, MAP25,MAP27 or a mix; miniworld: Maze,FourRooms,...")
    collect.add_argument("--frames", type=int, required=True, help="frames to record in all")
    collect.add_argument("--policy", default="explore", choices=["explore", "random"])
    collect.add_argument("--seed", type=int, default=0)
    collect.add_argument("--episode-frames", type=int, default=2000, help="frames per episode (one shard each)")
    collect.add_argument("--depth", action="store_true", help="also record each frame's depth (map units along "
                         "the view axis), for the world memory")
    collect.add_argument("--hide-weapon", action="store_true", help="vizdoom: record the view without the "
                         "player's weapon (drawn fixed on the screen, it is not part of the world)")
    collect.add_argument("--out", required=True, help="folder of shards (created; resumed when it exists)")
    collect.add_argument("--quiet", action="store_true", help="no progress bar")
    collect.set_defaults(run=_collect)


def add_training(commands: Any) -> None:
    train = commands.add_parser("train", help="train the autoencoder or the dynamics model (resumes from --out)",
                                description="Train a stage from a preset; --set overrides any config field "
                                "(e.g. --set train.steps=2000). Ctrl-C saves; the same command resumes.")
    train.add_argument("stage", choices=["autoencoder", "dynamics", "decoder", "depth"],
                       help="decoder: sharpen an autoencoder's decoder (GAN), its encoder frozen; depth: the "
                       "monocular depth network (frames recorded with --depth)")
    train.add_argument("--data", help="folder of episode shards (same as --set data=...)")
    distill = commands.add_parser("distill", help="distil a trained world model into a one-step student",
                                  description="Train a one-step student from a dynamics checkpoint, guidance "
                                  "folded in. Ctrl-C saves; the same command resumes.")
    distill.set_defaults(stage="distill")
    distill.add_argument("teacher", help="the teacher's dynamics.safetensors")
    for stage in (train, distill):
        stage.add_argument("--preset", default="default", help="tiny (seconds, for tests), default (2-core CPU) "
                           "or gpu")
        stage.add_argument("--out", help="run folder (same as --set train.out=...)")
        stage.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
        stage.add_argument("--quiet", action="store_true", help="no progress bar")
        stage.set_defaults(run=_train)
    average = commands.add_parser("average", help="blend two checkpoints of one network in weight space "
                                  "(two decoders of one autoencoder, or two students)")
    average.add_argument("first", help="the checkpoint at weight 0")
    average.add_argument("second", help="one of the same network at weight 1 (its metadata is kept)")
    average.add_argument("--weights", default="0.5", help="weights of the second, comma-separated, each in [0, 1]")
    average.add_argument("--out", required=True, help="folder for soup-NNN/<the second's file name>")
    average.set_defaults(run=_average)


def add_eval(commands: Any) -> None:
    evaluation = commands.add_parser("eval", help="measure a world model against the simulator on held-out maps; "
                                     "compare reports (--paired, --pooled); roll out from pictures (--prompts)")
    evaluation.add_argument("world", nargs="?", help="dynamics checkpoint (dynamics.safetensors), or a world pack "
                            "to measure its ONNX graphs as the player runs them on a CPU")
    evaluation.add_argument("--source", help="vizdoom or miniworld (default: the one the model was trained on)")
    evaluation.add_argument("--maps", help="held-out maps or environments (default: MAP21-MAP24 for vizdoom; "
                            "Maze,FourRooms,ThreeRooms,TMaze for miniworld, on seeds no collection uses)")
    evaluation.add_argument("--windows-per-map", type=int, default=4)
    evaluation.add_argument("--horizon", type=int, default=64)
    add_sampler_flags(evaluation)
    evaluation.add_argument("--sweep", default="1,1.5,2,3", help="guidance scales to compare ('' for none)")
    evaluation.add_argument("--long", type=int, default=1000, help="frames of the long rollouts (0 to skip)")
    evaluation.add_argument("--long-prompts", type=count, default=0,
                            help="long rollouts, from each map's first window in turn (default: one per map)")
    evaluation.add_argument("--autoencoder", help="a sharpened decoder of the same encoder ('dreamwalk train decoder')")
    evaluation.add_argument("--precision", default="auto", choices=["auto", "fp32", "int8"],
                            help="a world pack's graphs (default auto: int8 dynamics where the pack has it)")
    evaluation.add_argument("--seed", type=int, default=0)
    evaluation.add_argument("--out", default="runs/eval", help="folder for eval.json and the plots")
    evaluation.add_argument("--embed", action="store_true", help="make the report a zip world pack's metrics "
                            "(what the launcher and 'dreamwalk info' show)")
    evaluation.add_argument("--prompts", metavar="FOLDER", help="instead: roll the pack out from every picture "
                            "in FOLDER (captions.json names them), e.g. assets/prompts")
    evaluation.add_argument("--frames", type=int, default=300, help="with --prompts: frames per rollout")
    evaluation.add_argument("--data", help="a depth checkpoint: held-out frames recorded with --depth")
    evaluation.add_argument("--revisits", action="store_true", help="instead: turn, turn back, walk out and back "
                            "in live ViZDoom and in the world (a pack, or none: the references alone), from "
                            "--windows-per-map starts a map: does the world remember what it showed")
    evaluation.add_argument("--size", metavar="WxH", help="with --revisits: the world shown at this size (a world "
                            "with a memory draws what it remembers at it); --revisits with --prompts FOLDER also "
                            "turns and walks out and back from each picture there that is not a Doom frame")
    evaluation.add_argument("--paired", nargs=2, metavar=("FIRST", "SECOND"), help="instead: two reports of the "
                            "same windows compared window by window (second minus first, ± standard error)")
    evaluation.add_argument("--pooled", nargs="+", metavar="REPORT", help="instead: one world's reports pooled")
    evaluation.add_argument("--json", help="with --paired or --pooled: also write the result here")
    evaluation.set_defaults(run=_eval)


def add_export(commands: Any) -> None:
    export = commands.add_parser("export", help="turn a dynamics checkpoint into a world pack (ONNX graphs)")
    export.add_argument("checkpoint", help="dynamics.safetensors")
    export.add_argument("--out", required=True, help="NAME.dwpack")
    export.add_argument("--name", dest="pack_name", default="", help="the world's name (default: the file's)")
    export.add_argument("--description", default="")
    export.add_argument("--license", default="")
    add_sampler_flags(export)
    export.add_argument("--metrics", help="eval.json from 'dreamwalk eval' to carry in the manifest")
    export.add_argument("--fp16", action="store_true", help="also write fp16 graphs (used on GPU providers)")
    export.add_argument("--int8", action="store_true", help="also write an int8 dynamics graph (used on CPUs: "
                        "faster where the CPU lacks AVX512)")
    export.add_argument("--autoencoder", help="a sharpened decoder of the same encoder ('dreamwalk train decoder')")
    export.set_defaults(run=_export)

    recover = commands.add_parser("recover", help="rebuild a world pack's PyTorch checkpoints from its ONNX graphs "
                                  "(to evaluate, fine-tune or distil from a world whose run is gone)")
    recover.add_argument("pack", help="world pack (.dwpack file or folder)")
    recover.add_argument("--out", required=True, help="folder for dynamics.safetensors and autoencoder.safetensors")
    recover.set_defaults(run=_recover)

    pack = commands.add_parser("pack", help="work on an existing world pack").add_subparsers(
        dest="pack_command", metavar="ACTION", required=True)
    int8 = pack.add_parser("int8", help="add an int8 dynamics graph (checked against the fp32 one) to a pack")
    int8.add_argument("pack")
    int8.add_argument("--out", required=True, help="the new pack file (NAME.dwpack)")
    int8.set_defaults(run=_pack_int8)
    memory = pack.add_parser("memory", help="give a pack a world memory: a depth graph and the camera's motion")
    memory.add_argument("pack")
    memory.add_argument("--depth", required=True, help="depth network checkpoint ('dreamwalk train depth')")
    memory.add_argument("--motion", required=True, help="recordings with poses to fit the camera's motion on")
    memory.add_argument("--out", required=True, help="the new pack file (NAME.dwpack)")
    memory.add_argument("--no-builder", action="store_true", help="leave out the world builder: what the picture "
                        "never showed is dreamed, not continued from the picture's own pixels")
    memory.set_defaults(run=_pack_memory)
    card = pack.add_parser("card", help="write a pack's model card from its measured numbers")
    card.add_argument("pack")
    card.add_argument("--eval", required=True, help="the pack's 'dreamwalk eval' report (eval.json)")
    card.add_argument("--bench", required=True, help="'dreamwalk bench --json' of the pack")
    card.add_argument("--prompts", required=True, help="'dreamwalk eval PACK --prompts' report (prompt_rollouts.json)")
    card.add_argument("--notes", required=True, help="the card's prose (Markdown)")
    card.add_argument("--out", required=True, help="the card (Markdown)")
    card.add_argument("--figures", help="folder of strips.png, long_rollout.png, prompt_rollouts.png, relative to --out")
    card.add_argument("--embed", action="store_true", help="also put the card into the (zip) pack")
    card.set_defaults(run=_pack_card)

    info = commands.add_parser("info", help="show a world pack's manifest (after verifying the pack)")
    info.add_argument("pack")
    info.add_argument("--json", action="store_true")
    info.add_argument("--card", action="store_true", help="print the pack's model card")
    info.set_defaults(run=_info)


def add_bench(commands: Any) -> None:
    benchmark = commands.add_parser("bench", help="frame time and frames/s of a world pack on this machine")
    benchmark.add_argument("pack", nargs="?", help="world pack (default: the bundled world)")
    benchmark.add_argument("--device", default="auto", help="comma list: auto, cpu, cuda, ...")
    benchmark.add_argument("--steps", default="", help="comma list of sampler step counts (default: the pack's)")
    benchmark.add_argument("--frames", type=int, default=300)
    benchmark.add_argument("--precision", default="auto", help="comma list: auto, fp32, fp16, int8 (default: "
                           "auto, what play picks: int8 on CPUs and fp16 on GPUs where the pack has them)")
    benchmark.add_argument("--io-binding", default="auto", help="comma list: auto, on, off (the key/value cache "
                           "kept in device memory; auto: on CUDA)")
    benchmark.add_argument("--size", help="frames shown at WIDTHxHEIGHT (default: the world's own size)")
    benchmark.add_argument("--prompt", help="start from this picture (default: a noise picture; a world that "
                           "builds what the picture never showed is best benched from a real one)")
    benchmark.add_argument("--rounds", type=int, default=1, help="above 1: the settings take turns, round after "
                           "round, so the CPU's drift falls on all of them (each round opens the world anew)")
    benchmark.add_argument("--check", action="store_true", help="instead: check the runtime on --device (cuda; cpu "
                           "to try it): latents against the CPU's, replay after restore, flat memory, frame times")
    benchmark.add_argument("--json", help="also write the results here")
    benchmark.set_defaults(run=_bench)


def add_data(commands: Any) -> None:
    data = commands.add_parser("data", help="inspect recorded data; render the bundled prompts").add_subparsers(
        dest="data_command", metavar="ACTION", required=True)
    data_info = data.add_parser("info", help="frames, episodes, maps and action statistics of a folder")
    data_info.add_argument("folder")
    data_info.add_argument("--json", action="store_true", help="print JSON")
    data_info.add_argument("--verify", action="store_true", help="also check every frame's checksum (reads all data)")
    data_info.set_defaults(run=_data_info)
    preview = data.add_parser("preview", help="a contact sheet (.png) or clip (.mp4) of what was recorded")
    preview.add_argument("folder")
    preview.add_argument("--out", required=True, help="sheet.png or clip.mp4")
    preview.add_argument("--frames", type=int, help="frames on the sheet (48) or in the clip (600)")
    preview.add_argument("--episode", type=int, default=0, help="which episode the clip shows")
    preview.set_defaults(run=_data_preview)
    prompts = data.add_parser("prompts", help="render the bundled prompt pictures (training maps only) and "
                              "their captions.json")
    prompts.add_argument("--out", default="assets/prompts")
    prompts.add_argument("--frames", type=int, default=240, help="frames each walk explores before a view is chosen")
    prompts.set_defaults(run=_data_prompts)


def add_render(commands: Any) -> None:
    render = commands.add_parser("render", help="play a clip's action log through a world again, offline, into "
                                 "an MP4 at any size and frame rate",
                                 description="Replay a recorded clip's actions (CLIP.actions.jsonl) from the same "
                                 "start, writing H.264 MP4. Ctrl-C keeps a playable file of the frames written.")
    render.add_argument("log", help="the clip's action log (CLIP.actions.jsonl)")
    start = render.add_mutually_exclusive_group()
    start.add_argument("--scene", help="start from this scene (NAME.dwscene; default: the log's scene, if any)")
    start.add_argument("--prompt", metavar="IMAGE", help="start from this picture (default: the log's prompt)")
    render.add_argument("--world", metavar="PACK", help="world pack (default: the world the log names)")
    render.add_argument("--size", default="640x480", help="frames at WIDTHxHEIGHT, both even (default 640x480)")
    render.add_argument("--fps", type=float, help="frames per second of the video (default: the world's; "
                        "other rates show the same path over the same seconds)")
    render.add_argument("--seed", type=int, help="sampling seed (default: the log's)")
    render.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    render.add_argument("--out", required=True, help="the video (walk.mp4); a world with a memory also writes "
                        "walk.poses.json, the camera's path")
    render.add_argument("--sheet", metavar="IMAGE", help="also a contact sheet (PNG or JPEG by its name): 12 "
                        "frames spread over the walk")
    render.set_defaults(run=_render)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dreamwalk", description="Dreamwalk engine: record gameplay, "
                                     "train, distill, export and evaluate world models.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (add_collect, add_training, add_eval, add_export, add_bench, add_data, add_render):
        add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DreamwalkError as error:
        print(f"dreamwalk: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("dreamwalk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:                      # `dreamwalk info PACK | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
