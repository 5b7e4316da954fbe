"""The ``dreamwalk`` command: the engine's stages. Each subcommand is listed only once it exists."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from engine.errors import DreamwalkError
from engine.interrupts import stop_on_signals


def _collect(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine.data.collect import CollectPlan, collect
    from engine.data.sources import parse_places

    plan = CollectPlan(source=args.source, maps=tuple(parse_places(args.source, args.maps)), frames=args.frames,
                       policy=args.policy, seed=args.seed, episode_frames=args.episode_frames)
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
        if "vs_rotated" in auto:             # reports since the thirteenth session, ViZDoom worlds
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


def _eval(args: argparse.Namespace) -> int:
    from engine.evaluation.evaluate import EvalConfig, evaluate, is_pack
    from engine.runtime.session import WorldSession

    from engine.data.sources import HELD_OUT, parse_places
    from engine.export.export import default_context_sigma, default_sampler, default_sigma_max
    from engine.models.denoiser import DiffusionConfig
    from engine.models.rollout import sampling_context_sigma, sampling_prior_sigma, sampling_sigma_max
    from engine.models.checkpoint import load_checkpoint
    from engine.config import from_dict

    if is_pack(args.world):               # the pack's graphs and sampler, as the player runs them on a CPU
        options = {"--steps": args.steps, "--sampler": args.sampler, "--sigma-max": args.sigma_max,
                   "--prior-sigma": args.prior_sigma, "--context-sigma": args.context_sigma,
                   "--autoencoder": args.autoencoder}
        checkpoint_only = [flag for flag, value in options.items() if value is not None]
        if checkpoint_only:
            raise DreamwalkError(f"{', '.join(checkpoint_only)}: for checkpoints; a world pack is measured with "
                                 "its own sampler settings")
        if args.embed and (Path(args.world).is_dir() or not os.access(Path(args.world).parent, os.W_OK)):
            raise DreamwalkError(f"--embed: {args.world} is a pack folder or in a folder this user cannot write; "
                                 "give a zip pack that can be rewritten")
        with WorldSession.open(args.world, device="cpu", precision=args.precision) as session:   # verified now
            source = args.source or session.manifest.get("source", "vizdoom")
            guidance = session.settings.guidance_scale
        sampler, steps, meta = "", 0, None
    else:
        if args.sink_frames:
            raise DreamwalkError("--sink-frames: for world packs (the ONNX runtime's cache)")
        if args.precision != "auto":
            raise DreamwalkError("--precision: for world packs; a checkpoint is measured in PyTorch (fp32)")
        if args.embed:
            raise DreamwalkError("--embed: for world packs; a checkpoint's eval.json goes into its pack with "
                                 "'dreamwalk export --metrics'")
        meta = load_checkpoint(Path(args.world))[1]
        sampler, steps, _ = default_sampler(meta)
        source = args.source or meta.get("world", {}).get("source", "vizdoom")
        guidance = 1.0
    maps = args.maps or HELD_OUT.get(source, "")
    parse_places(source, maps)            # an unknown source or place: one error line before any recording
    config = EvalConfig(world=args.world, source=source, maps=maps,
                        windows_per_map=args.windows_per_map,
                        horizon=args.horizon, steps=args.steps or steps, sampler=args.sampler or sampler,
                        guidance_scale=guidance if args.guidance is None else args.guidance,
                        long_rollout=args.long, long_prompts=args.long_prompts,
                        guidance_sweep=[float(x) for x in args.sweep.split(",") if x],
                        autoencoder=args.autoencoder or "", precision=args.precision, seed=args.seed, out=args.out,
                        sink_frames=args.sink_frames)
    if meta is not None:
        config.sigma_max = default_sigma_max(meta) if args.sigma_max is None else args.sigma_max
        config.prior_sigma = args.prior_sigma
        config.context_sigma = default_context_sigma(meta) if args.context_sigma is None else args.context_sigma
        diffusion = from_dict(DiffusionConfig, meta["config"]["diffusion"])
        try:                              # before minutes of recording the probe windows, not after
            sampling_sigma_max(diffusion, config.sigma_max)
            sampling_prior_sigma(diffusion, config.prior_sigma)
            sampling_context_sigma(diffusion, config.context_sigma)
        except ValueError as error:
            raise DreamwalkError(str(error)) from error
    report = evaluate(config)
    print("\n".join(evaluation_lines(report)))
    print(f"wrote {config.out}/eval.json, strips.png, psnr_vs_horizon.png")
    if args.embed:
        from engine.pack import embed_metrics

        embed_metrics(args.world, report)
        print(f"the report is now {args.world}'s metrics")
    return 0


def _export(args: argparse.Namespace) -> int:
    from engine.export.export import export_world

    metrics = json.loads(Path(args.metrics).read_text()) if args.metrics else None
    result = export_world(args.checkpoint, args.out, name=args.name, description=args.description,
                          license=args.license, sampler=args.sampler, steps=args.steps,
                          guidance_scale=args.guidance, metrics=metrics, sigma_max=args.sigma_max,
                          fp16=args.fp16, autoencoder=args.autoencoder, prior_sigma=args.prior_sigma,
                          context_sigma=args.context_sigma, int8=args.int8)
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


def _bench(args: argparse.Namespace) -> int:
    from engine.runtime.bench import bench

    steps = [int(x) for x in args.steps.split(",")] if args.steps else [None]
    choices = {"auto": None, "on": True, "off": False}
    unknown = [x for x in args.io_binding.split(",") if x not in choices]
    if unknown:
        raise DreamwalkError(f"--io-binding takes a comma list of auto, on and off, not {unknown[0]!r}")
    bindings = tuple(choices[x] for x in args.io_binding.split(","))
    results = bench(args.pack, args.device.split(","), steps, args.frames, tuple(args.precision.split(",")),
                    bindings)
    for row in results:
        print(f"{row['provider']:<22} {row['precision']:<4} {'bound' if row['io_binding'] else 'host ':<5} "
              f"{row['sampler']} x{row['steps']:<2} "
              f"({row['network_evaluations_per_frame']:>2} "
              f"evaluations/frame): median {row['median_ms']:6.1f} ms, p99 {row['p99_ms']:6.1f} ms, "
              f"{row['fps']:6.1f} frames/s; first frame {row['first_frame_s']:.2f} s after open")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dreamwalk", description="Dreamwalk engine: record gameplay, "
                                     "train, distill, export and evaluate world models.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

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
    collect.add_argument("--out", required=True, help="folder of shards (created; resumed when it exists)")
    collect.add_argument("--quiet", action="store_true", help="no progress bar")
    collect.set_defaults(run=_collect)

    train = commands.add_parser("train", help="train the autoencoder or the dynamics model (resumes from --out)",
                                description="Train a stage from a preset; --set overrides any config field "
                                "(e.g. --set train.steps=2000). Ctrl-C saves; the same command resumes.")
    train.add_argument("stage", choices=["autoencoder", "dynamics", "decoder"],
                       help="decoder: sharpen an autoencoder's decoder (GAN), its encoder frozen")
    train.add_argument("--preset", default="default", help="tiny (seconds, for tests), default (2-core CPU) or gpu")
    train.add_argument("--data", help="folder of episode shards (same as --set data=...)")
    train.add_argument("--out", help="run folder (same as --set train.out=...)")
    train.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(run=_train)

    evaluation = commands.add_parser("eval", help="measure a world model against the simulator on held-out maps")
    evaluation.add_argument("world", help="dynamics checkpoint (dynamics.safetensors), or a world pack to measure "
                            "its ONNX graphs as the player runs them on a CPU")
    evaluation.add_argument("--source", help="vizdoom or miniworld (default: the one the model was trained on)")
    evaluation.add_argument("--maps", help="held-out maps or environments (default: MAP21-MAP24 for vizdoom; "
                            "Maze,FourRooms,ThreeRooms,TMaze for miniworld, on seeds no collection uses)")
    evaluation.add_argument("--windows-per-map", type=int, default=4)
    evaluation.add_argument("--horizon", type=int, default=64)
    evaluation.add_argument("--steps", type=int, help="sampler steps per frame; default 4 (teacher), 1 (student)")
    evaluation.add_argument("--sampler", choices=["heun", "euler"], help="default: heun (teacher), euler (student)")
    evaluation.add_argument("--guidance", type=float, help="action guidance scale (default 1, a pack's own)")
    evaluation.add_argument("--sweep", default="1,1.5,2,3", help="guidance scales to compare ('' for none)")
    evaluation.add_argument("--long", type=int, default=1000, help="frames of the long rollouts (0 to skip)")
    evaluation.add_argument("--long-prompts", type=count, default=0,
                            help="long rollouts, from each map's first window in turn (default: one per map)")
    evaluation.add_argument("--sigma-max", type=float, help="noise level sampling starts from (default: trained)")
    evaluation.add_argument("--prior-sigma", type=positive_float, help="a teacher starts sampling from its own guess at this "
                        "level, so the action moves the view (truncated sampling alone keeps the last frame)")
    evaluation.add_argument("--context-sigma", type=float, help="noise level dreamed frames enter the context at "
                        "(default: the trained level; higher trusts them less)")
    evaluation.add_argument("--autoencoder", help="a sharpened decoder of the same encoder ('dreamwalk train decoder')")
    evaluation.add_argument("--precision", default="auto", choices=["auto", "fp32", "int8"],
                            help="a world pack's graphs (default auto: int8 dynamics where the pack has it)")
    evaluation.add_argument("--sink-frames", type=count, default=0, help="a world pack's context keeps its first "
                            "frames (the prompt) once full (default 0: the window slides over them)")
    evaluation.add_argument("--seed", type=int, default=0)
    evaluation.add_argument("--out", default="runs/eval", help="folder for eval.json and the plots")
    evaluation.add_argument("--embed", action="store_true", help="make the report a zip world pack's metrics "
                            "(what the launcher and 'dreamwalk info' show)")
    evaluation.set_defaults(run=_eval)

    export = commands.add_parser("export", help="turn a dynamics checkpoint into a world pack (ONNX graphs)")
    export.add_argument("checkpoint", help="dynamics.safetensors")
    export.add_argument("--out", required=True, help="NAME.dwpack")
    export.add_argument("--name", default="")
    export.add_argument("--description", default="")
    export.add_argument("--license", default="")
    export.add_argument("--sampler", choices=["heun", "euler"], help="default: heun (teacher), euler (student)")
    export.add_argument("--steps", type=int, help="sampler steps per frame; default 4 (teacher), 1 (student)")
    export.add_argument("--guidance", type=float, help="action guidance scale; default 1 (a student has it built in)")
    export.add_argument("--metrics", help="eval.json from 'dreamwalk eval' to carry in the manifest")
    export.add_argument("--sigma-max", type=float, help="noise level sampling starts from (default: trained)")
    export.add_argument("--prior-sigma", type=positive_float, help="a teacher starts sampling from its own guess at this "
                        "level, so the action moves the view (truncated sampling alone keeps the last frame)")
    export.add_argument("--context-sigma", type=float, help="noise level dreamed frames enter the context at "
                        "(default: the trained level; higher trusts them less)")
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

    benchmark = commands.add_parser("bench", help="frame time and frames/s of a world pack on this machine")
    benchmark.add_argument("pack")
    benchmark.add_argument("--device", default="auto", help="comma list: auto, cpu, cuda, ...")
    benchmark.add_argument("--steps", default="", help="comma list of sampler step counts (default: the pack's)")
    benchmark.add_argument("--frames", type=int, default=300)
    benchmark.add_argument("--precision", default="auto", help="comma list: auto, fp32, fp16, int8 (default: "
                           "auto, what play picks: int8 on CPUs and fp16 on GPUs where the pack has them)")
    benchmark.add_argument("--io-binding", default="auto", help="comma list: auto, on, off (the key/value cache "
                           "kept in device memory; auto: on CUDA)")
    benchmark.add_argument("--json", help="also write the results here")
    benchmark.set_defaults(run=_bench)

    info = commands.add_parser("info", help="show a world pack's manifest (after verifying the pack)")
    info.add_argument("pack")
    info.add_argument("--json", action="store_true")
    info.add_argument("--card", action="store_true", help="print the pack's model card")
    info.set_defaults(run=_info)

    distill = commands.add_parser("distill", help="distil a trained world model into a one-step student",
                                  description="Train a one-step student from a dynamics checkpoint, guidance "
                                  "folded in. Ctrl-C saves; the same command resumes.")
    distill.set_defaults(stage="distill", run=_train)
    distill.add_argument("teacher", help="the teacher's dynamics.safetensors")
    distill.add_argument("--preset", default="default", help="tiny (seconds, for tests), default (2-core CPU) or gpu")
    distill.add_argument("--out", help="run folder (same as --set train.out=...)")
    distill.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config field")
    distill.add_argument("--quiet", action="store_true", help="no progress bar")

    data = commands.add_parser("data", help="inspect recorded data").add_subparsers(
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
