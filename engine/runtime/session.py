"""WorldSession (DESIGN.md runtime contract): play a world pack on ONNX Runtime.

    session = WorldSession.open(path, device="auto")
    frame = session.reset(image)       # path, PIL image (32 px a side to 50 megapixels) or (H, W, 3) uint8
    frame = session.step(action)       # dict or engine.actions.Action -> (h, w, 3) uint8
    state = session.snapshot(); session.restore(state)
    scene = session.scene(); frame = session.start_scene(scene)     # keep a moment; go on from it later
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from engine.actions import KEYS, Action, actions_to_array, encode_action
from engine.config import LAST_WITH_RETIRED
from engine.errors import DreamwalkError
from engine.images import to_signed
from engine.pack import OpenedPack, open_pack, world_digest
from engine.pack.binding import BINDING_DEVICES, BoundRollout
from engine.runtime.graphs import GraphLoader
from engine.runtime.images import load_prompt
from engine.memory.canvas import Canvas
from engine.runtime.memory import PlayMemory, PlayMemoryState, lift_size
from engine.runtime.picture_settings import PictureSettings, read_settings, settings_dict
from engine.runtime.scene import Scene
from engine.runtime.view import open_view
from engine.runtime.worlds import DEFAULT_WORLD, DEFAULT_WORLDS, bundled_worlds  # noqa: F401 (imported from here too)
from engine.runtime.providers import choose_provider, warn
from engine.models.sampling import SamplerConfig
from engine.pack.rollout import CachedRollout, RolloutState

def takes_two_frames(dynamics: Any) -> bool:
    """Whether a dynamics graph takes a free number of frames per pass (packs exported since it could)."""
    return isinstance(dynamics.get_inputs()[0].shape[0], str)


@dataclass
class SessionState:
    rollout: RolloutState
    frame: np.ndarray
    frames: int
    memory: PlayMemoryState | None = None
    resting: bool = False


def choose_precision(precision: str, provider: str, has_fp16: bool, has_int8: bool = False) -> str:
    """With ``auto``: fp16 graphs on GPU providers when the pack has them; on CPUs the int8 dynamics graph
    when the pack has it (weights in int8: 1.2x the frames/s on an AVX2 CPU), else fp32 (no fast fp16 there).
    Asking for a precision the pack lacks is an error, not a silent fp32."""
    if precision not in ("auto", "fp32", "fp16", "int8"):
        raise DreamwalkError(f"precision must be auto, fp32, fp16 or int8, not {precision!r}")
    for name, has in (("fp16", has_fp16), ("int8", has_int8)):
        if precision == name and not has:
            raise DreamwalkError(f"this world pack has no {name} graphs (export it with --{name})")
    if precision == "auto":
        if provider == "CPUExecutionProvider":
            return "int8" if has_int8 else "fp32"
        return "fp16" if has_fp16 else "fp32"
    return precision


def choose_binding(io_binding: bool | None, provider: str, has_slide: bool) -> bool:
    """Keep the key/value cache in device memory (ONNX Runtime I/O binding)? By default on CUDA when the
    pack has the cache ``slide`` graph; asking for it where it cannot work is an error."""
    if io_binding is None:
        return provider == "CUDAExecutionProvider" and has_slide
    if io_binding and not has_slide:
        raise DreamwalkError("this world pack has no cache slide graph (export it again) for I/O binding")
    if io_binding and provider not in BINDING_DEVICES:
        raise DreamwalkError(f"I/O binding is not available on {provider}")
    return io_binding


class WorldSession:
    def __init__(self, pack: OpenedPack, device: str = "auto", seed: int = 0, steps: int | None = None,
                 guidance_scale: float | None = None, precision: str = "auto",
                 io_binding: bool | None = None, display_size: tuple[int, int] | None = None) -> None:
        import onnxruntime

        self._pack = pack
        self.manifest: dict[str, Any] = pack.manifest
        self.world_digest = world_digest(self.manifest)      # what scenes and clips keep of the world, with
        self.world_path: Path | None = None                  # its pack's path (set by open)
        if "warp" in self.manifest["graphs"]:
            raise DreamwalkError("this world pack moves its frames with an action warp graph, which this version of "
                                 f"Dreamwalk no longer plays; Dreamwalk {LAST_WITH_RETIRED} plays it")
        frame = self.manifest["frame"]
        self.model_size: tuple[int, int] = (int(frame["width"]), int(frame["height"]))     # what the networks see
        self.frame_size: tuple[int, int] = tuple(display_size) if display_size else self.model_size   # shown
        if min(self.frame_size) < 1 or self.frame_size[0] * self.frame_size[1] > 4096 * 4096:
            raise DreamwalkError(f"display size {self.frame_size[0]}x{self.frame_size[1]} is not one a window can show")
        self.fps: float = float(frame["fps"])
        self.provider, note = choose_provider(device, pack.graph_path("decoder"))
        if note:
            warn(note)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # Each session has its own pool of threads, which by default spin after a run: the decoder's would
        # then take the cores from the dynamics pass that follows it (32 -> 26 ms a frame on 2 cores).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = [self.provider] + ([] if self.provider == "CPUExecutionProvider" else ["CPUExecutionProvider"])
        self.precision = choose_precision(precision, self.provider, pack.has_fp16, pack.has_int8)
        # Made in a thread while the world starts, the depth graph first: the picture's depth is read first.
        names = [name for name in ("depth", "encoder", "decoder", "slide", "dynamics")   # slide, depth: in newer
                 if name in pack.manifest["graphs"]]                                   # packs, fp32
        self._graphs = GraphLoader(names, lambda name: self._load_graph(name, options, providers))
        try:
            self._start(io_binding, steps, guidance_scale, seed)
        except BaseException:
            self._graphs.close()
            raise

    def _start(self, io_binding: bool | None, steps: int | None, guidance_scale: float | None, seed: int) -> None:
        self.io_binding = choose_binding(io_binding, self.provider, "slide" in self._graphs)
        self.settings = SamplerConfig.from_manifest(self.manifest["sampler"], steps, guidance_scale)
        actions = self.manifest["actions"]
        self.trained_keys = tuple(actions["keys"])
        self.turn_range, self.look_range = float(actions["turn_range"]), float(actions["look_range"])
        self._warned_keys: set[str] = set()
        self._seed = seed
        self.memory = None
        # A world trained on memory anchors dreams each frame as a change from the memory's view of it.
        self.memory_anchors = self.manifest.get("anchor") == "memory"
        if self.memory_anchors and "memory" not in self.manifest:
            raise DreamwalkError("this world dreams each frame from its memory of the place, but the pack has "
                                 "no memory; add one with dreamwalk pack memory")
        if "memory" in self.manifest and "depth" in self._graphs:
            canvas = None
            if lift_size(self.frame_size) != self.frame_size:      # shown larger than lifted: draw the picture
                canvas, why = Canvas.create()
                if canvas is None:
                    warn(f"the picture is shown from the memory, upscaled: {why}")
            self.memory = PlayMemory(self._graphs["depth"], self.manifest, self.frame_size, self.model_size, canvas)
        self.view = open_view(self.memory, self.frame_size, self.model_size)     # what the world shows
        self._rollout: CachedRollout | None = None
        self._frame: np.ndarray | None = None
        self._source, self._seed_used = "", seed
        self.frames = 0
        self._resting = False          # the network skipped frames the memory and the builder covered

    @classmethod
    def open(cls, path: str | Path | None = None, device: str = "auto", seed: int = 0, steps: int | None = None,
             guidance_scale: float | None = None, precision: str = "auto",
             io_binding: bool | None = None, display_size: tuple[int, int] | None = None) -> "WorldSession":
        """Open a pack file or folder (verified first); with no path, the default world in assets/worlds/.
        ``steps`` and ``guidance_scale`` override the pack's sampler settings (quality vs speed);
        ``io_binding`` keeps the key/value cache in device memory (default: on CUDA); ``display_size``
        (width, height): frames are shown at this size (a world with a memory draws what it remembers at full
        detail there, the dream upscaled only where it remembers nothing)."""
        if path is None:
            packs = bundled_worlds()
            if not packs:
                raise DreamwalkError(f"no default world in {DEFAULT_WORLDS}; pass the path of a world pack")
            path = packs[0]
        pack = open_pack(path, graphs_on_demand=True)
        try:
            session = cls(pack, device, seed, steps, guidance_scale, precision, io_binding, display_size)
        except BaseException:
            pack.close()
            raise
        session.world_path = Path(path).resolve()
        return session

    def _load_graph(self, name: str, options: Any, providers: list[str]) -> Any:
        """One graph's ONNX Runtime session, its declared inputs checked against the manifest."""
        import onnxruntime

        try:
            graph = onnxruntime.InferenceSession(str(self._pack.graph_path(name, self.precision)), options,
                                                 providers=providers)
        except DreamwalkError:
            raise
        except Exception as error:  # onnxruntime's own exception types
            raise DreamwalkError(f"the world's graphs do not load: {str(error).splitlines()[0]}") from error
        self._check_shapes(name, graph)
        return graph

    def _check_shapes(self, name: str, graph: Any) -> None:
        """A graph's declared inputs must fit the manifest before anything runs."""
        width, height = self.model_size
        latent = self.manifest["latent"]
        latent_shape = [1, latent["channels"], latent["height"], latent["width"]]
        expected = {
            "encoder": {"frame": [1, 3, height, width]},
            "decoder": {"latent": latent_shape},
            "dynamics": {"noisy": latent_shape, "anchor": latent_shape, "past_keys": self.manifest["cache"]["shape"]},
        }.get(name, {})
        declared = {i.name: i.shape for i in graph.get_inputs()}
        if name == "dynamics" and takes_two_frames(graph):     # a free number of frames per pass
            declared = {name: [1, *shape[1:]] if name in ("noisy", "anchor") else shape
                        for name, shape in declared.items()}
        for input_name, shape in expected.items():
            if declared.get(input_name) != shape:
                raise DreamwalkError(f"the {name} graph takes {input_name} of shape {declared.get(input_name)}, "
                                     f"but the manifest says {shape}: the pack is inconsistent")

    @property
    def folds(self) -> bool:
        """Whether a frame's cache pass rides along with the next frame's (engine.pack.rollout): where
        the graph takes two frames, and not with I/O binding, whose rollout runs the cache pass alone."""
        return takes_two_frames(self._graphs["dynamics"]) and not self.io_binding

    def _dynamics(self, **inputs: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(self._graphs["dynamics"].run(None, inputs))

    # Latent-level access (the evaluation measures a pack the way the player runs it): encode, decode and
    # a rollout of the pack's own sampler.

    def encode(self, frame: np.ndarray) -> np.ndarray:
        """The latent (1, C, h, w) of a (h, w, 3) uint8 frame of the world's size."""
        tensor = to_signed(frame).transpose(2, 0, 1)[None]                          # (1, 3, h, w)
        return self._graphs["encoder"].run(None, {"frame": tensor})[0]

    def decode(self, latent: np.ndarray) -> np.ndarray:
        """The (h, w, 3) uint8 frame of a latent (1, C, h, w)."""
        image = self._graphs["decoder"].run(None, {"latent": latent})[0][0]          # (3, h, w) in [-1, 1]
        return np.clip((image.transpose(1, 2, 0) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)

    def new_rollout(self, seed: int, guidance_scale: float | None = None) -> CachedRollout:
        """A rollout over the pack's dynamics graph with the session's sampler (``guidance_scale`` apart)."""
        cache = self.manifest["cache"]
        shape, tokens = tuple(cache["shape"]), int(cache["tokens_per_frame"])
        settings = self.settings if guidance_scale is None else replace(self.settings, guidance_scale=guidance_scale)
        if self.io_binding:
            return BoundRollout(self._graphs["dynamics"], self._graphs["slide"], BINDING_DEVICES[self.provider],
                                settings, shape, tokens, len(KEYS), seed)
        return CachedRollout(self._dynamics, settings, shape, tokens, len(KEYS), seed, self.folds)

    def reset(self, image: Any, seed: int | None = None, settings: PictureSettings | None = None,
              depth: np.ndarray | None = None) -> np.ndarray:
        """Start the world from a prompt image; returns the prompt at the display size. ``seed`` fixes the
        sampling noise from here on (default: the session's seed); ``settings`` and ``depth`` (worlds with a
        memory): how the picture is read as a place, and its depth instead of the depth network's."""
        reading = settings or PictureSettings()
        prompt = load_prompt(image, self.model_size, reading.field_of_view, reading.panorama_span)
        self._seed_used = self._seed if seed is None else seed
        shown = self.view.begin(image, prompt, settings, depth)    # while the networks' graphs are made
        self._rollout = self.new_rollout(self._seed_used)
        self._rollout.prime(self.encode(prompt))
        self._graphs.wait()
        self._source = Path(image).name if isinstance(image, (str, Path)) else ""
        self._frame, self.frames, self._resting = shown, 0, False
        return shown.copy()

    def scene(self) -> Scene:
        """What to keep of this moment (engine.runtime.scene.save_scene): the picture, its depth and
        settings, the seed, and for worlds with a memory the camera's pose and all it remembers."""
        if self._rollout is None:
            raise DreamwalkError("nothing to keep before reset(image)")
        depth, pose, memory = self.view.kept()
        return Scene(picture=self.view.picture(), world=str(self.manifest["name"]), world_digest=self.world_digest,
                     world_path=str(self.world_path or self._pack.folder), seed=int(self._seed_used),
                     depth=depth, settings=settings_dict(self.view.settings), pose=pose, memory=memory,
                     source=self._source, frames=self.frames)

    def start_scene(self, scene: Scene, any_world: bool = False) -> np.ndarray:
        """Go on from a kept scene (engine.runtime.scene.open_scene): its picture, depth, settings and seed,
        and where the world has a memory, the camera where it was and all it remembered. Returns the view.
        A scene kept in another world is refused unless ``any_world`` (the person chose this world for it)."""
        if not any_world and not self.made_here(scene):
            raise DreamwalkError(f"this scene was made in the world {scene.world_mark}, not "
                                 f"'{self.manifest['name']}'; open it in that world, or name this one for it "
                                 "(--world PACK)")
        frame = self.reset(scene.picture, seed=scene.seed, settings=read_settings(scene.settings), depth=scene.depth)
        self._source = scene.source
        resumed = None if scene.memory is None else self.view.resume(scene.memory, scene.pose, scene.frames)
        if resumed is not None:                     # the camera where it was, the network from its view there
            self._rollout = self.new_rollout(scene.seed)
            self._rollout.prime(self.encode(self.view.observed()))
            frame, self._frame, self.frames = resumed, resumed, scene.frames
        return frame.copy()

    def made_here(self, scene: Scene) -> bool:
        """Whether ``scene`` was kept in this world: the same digest, or for a scene that keeps only its
        world's name (format 1), the same name."""
        return (scene.world_digest == self.world_digest if scene.world_digest
                else scene.world == self.manifest["name"])

    @property
    def pose(self) -> np.ndarray | None:
        """The dreamed camera's (x, y, z, yaw, pitch) in the world's units, the prompt's pose being 0 (worlds
        with a memory; None before reset and for worlds without one)."""
        return None if self._rollout is None else self.view.camera

    @property
    def blocked(self) -> bool:
        """Whether a wall the world remembers held the camera back on the last step (worlds with a memory)."""
        return self._rollout is not None and self.view.blocked()

    def step(self, action: Action | Mapping[str, Any]) -> np.ndarray:
        """Dream the frame that follows ``action``."""
        if self._rollout is None:
            raise DreamwalkError("call reset(image) before step()")
        action = Action.coerce(action).clipped(self.turn_range, self.look_range)
        untrained = [k for k, v in action.to_dict().items() if v and k not in self.trained_keys]
        for key in untrained:
            if key not in self._warned_keys:
                self._warned_keys.add(key)
                warn(f"this world was not trained with '{key}'; it is ignored")
        if untrained:
            action = Action(**{k: v for k, v in action.to_dict().items() if k not in untrained})
        encoded = encode_action(action, self.turn_range, self.look_range)
        previous = self.view.observed() if self._resting else None     # what the network goes on from
        self.view.advance(actions_to_array([action])[0])
        if not self.memory_anchors and self.view.covers():
            # What was seen and built covers the view: the network rests, and dreams on from the frame
            # before the next one it is needed for.
            self._frame, self._resting = self.view.show(None), True
        else:
            if self._resting:
                self._rollout.prime(self.encode(previous))
                self._resting = False
            anchor = self.encode(self.view.guess()) if self.memory_anchors else None
            latent = self._rollout.predict(encoded, anchor)
            self._frame = self.view.show(self.decode(latent) if self.view.needs_dream() else None)
            observed = self.view.observed()            # what the view showed, where it is not the dream itself
            self._rollout.observe(latent if observed is None else self.encode(observed), encoded, anchor)
        self.frames += 1
        return self._frame.copy()

    def snapshot(self) -> SessionState:
        if self._rollout is None or self._frame is None:
            raise DreamwalkError("nothing to snapshot before reset(image)")
        return SessionState(self._rollout.snapshot(), self._frame.copy(), self.frames, self.view.snapshot(),
                            self._resting)

    def restore(self, state: SessionState) -> np.ndarray:
        if self._rollout is None:
            raise DreamwalkError("call reset(image) before restore()")
        self._rollout.restore(state.rollout)
        if state.memory is not None:
            self.view.restore(state.memory)
        self._frame, self.frames, self._resting = state.frame.copy(), state.frames, state.resting
        return self._frame.copy()

    def close(self) -> None:
        self._graphs.close()
        self.view.close()
        self._pack.close()

    def __enter__(self) -> "WorldSession":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
