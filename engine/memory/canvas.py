"""A picture's own pixels drawn for a camera with OpenGL (``Canvas``): the picture as a textured surface over
its depth, z-buffered, at any size.

moderngl on an EGL context needs no window: on a gaming PC it runs on the GPU, on a CPU on Mesa's llvmpipe
(640x480 in about 10 ms on two cores). Where neither is there, ``Canvas.create`` says why and play shows the
memory's render (engine.memory.PointMemory, numpy) upscaled instead.

The surface is a mesh over the picture's depth map, one vertex per corner of a depth pixel; the picture is
projected onto it from the pose it was seen from (so a triangle shows its pixels exactly, however slanted),
mipmapped for when it is seen from afar. Triangles that span a jump in depth (an object's edge against what
lies behind it) are drawn behind the rest and count as covered only seen from where the picture was taken
(turning in place, they are the picture); from anywhere else what the picture never showed is the dream's to
fill, not a smear. (Drawing the memory's points here too was tried: 34 ms a frame at 160x120 on llvmpipe,
where numpy takes 7.5.)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

FAR = 4096.0                  # map units: the far plane
SURFACE_JUMP = 1.2            # a surface triangle whose corners' depths differ by more than this ratio is an edge

VERTEX = """
#version 330
uniform vec3 eye;
uniform vec2 heading;         // cos and sin of the yaw
uniform float tilt;           // tan of the pitch: Doom shears the view, it does not rotate it
uniform float focal;
uniform vec2 size;
uniform float near;
in vec3 position;
out vec3 v_world;
out float v_distance;
void main() {
    vec3 r = position - eye;
    float f = r.x * heading.x + r.y * heading.y;
    float s = r.x * heading.y - r.y * heading.x;
    float px = s / f * focal + (size.x - 1.0) / 2.0;
    float py = (-r.z / f + tilt) * focal + (size.y - 1.0) / 2.0;
    float nx = (px + 0.5) / size.x * 2.0 - 1.0;
    float ny = (py + 0.5) / size.y * 2.0 - 1.0;      // row 0 at the bottom: read back top row first
    // Clip space with w = the distance: perspective-correct interpolation, and the near and far planes clip.
    float z = (f * (FAR + near) - 2.0 * FAR * near) / (FAR - near);
    gl_Position = vec4(nx * f, ny * f, z, f);
    v_world = position;
    v_distance = f;
}
"""

FRAGMENT = """
#version 330
uniform sampler2D picture;
uniform float stretched;      // 1: the triangles across a jump in depth, drawn behind the rest
uniform vec3 origin;          // the pose the picture was seen from: the texture is projected from there
uniform vec2 origin_heading;
uniform float origin_tilt;
uniform vec2 origin_scale;    // texture units per unit of side / forward and of up / forward
in vec3 v_world;
in float v_distance;
out vec4 colour;
void main() {
    gl_FragDepth = (min(v_distance, FAR) / FAR + stretched) / 2.0;
    vec3 r = v_world - origin;
    float f = r.x * origin_heading.x + r.y * origin_heading.y;
    float s = r.x * origin_heading.y - r.y * origin_heading.x;
    vec2 texel = vec2(s / f * origin_scale.x + 0.5, (-r.z / f + origin_tilt) * origin_scale.y + 0.5);
    colour = vec4(texture(picture, texel).rgb, 1.0 - 0.5 * stretched);
}
"""


# The world builder's surround (engine.memory.builder): a mesh on a cylinder whose picture is laid by texture
# coordinates, not projected from a pose.
SURROUND_VERTEX = VERTEX.replace("in vec3 position;", "in vec3 position;\nin vec2 uv;\nout vec2 v_uv;").replace(
    "v_world = position;", "v_world = position;\n    v_uv = uv;")
SURROUND_FRAGMENT = """
#version 330
uniform sampler2D picture;
uniform float stretched;
in vec3 v_world;
in float v_distance;
in vec2 v_uv;
out vec4 colour;
void main() {
    gl_FragDepth = (min(v_distance, FAR) / FAR + stretched) / 2.0;
    colour = vec4(texture(picture, v_uv).rgb, 1.0 - 0.5 * stretched);
}
"""


def _source(text: str) -> str:
    return text.replace("FAR", f"{FAR!r}")


@dataclass
class Surface:
    """A picture's own pixels over its depth, seen from a pose: the mesh's vertices (N, 3) in the world, the
    triangles (M, 3) over one surface and those across a jump in depth (K, 3), the picture (H, W, 3) uint8 and
    the pose and field of view it was seen with (the picture is projected from there onto the mesh)."""
    positions: np.ndarray
    triangles: np.ndarray
    stretched: np.ndarray
    picture: np.ndarray
    pose: np.ndarray
    field_of_view: float


def picture_surface(picture: np.ndarray, depth: np.ndarray, pose: np.ndarray, field_of_view: float,
                    jump: float = SURFACE_JUMP) -> Surface:
    """The mesh of a picture (any size) over its depth map (h, w) along the view axis, seen from ``pose``
    (engine.geometry's pinhole: one vertex per corner of a depth pixel, the corner's depth the mean of the
    pixels around it)."""
    from engine.geometry import camera_to_world

    height, width = depth.shape
    padded = np.pad(depth.astype(np.float64), 1, mode="edge")
    corners = (padded[:-1, :-1] + padded[1:, :-1] + padded[:-1, 1:] + padded[1:, 1:]) / 4       # (h + 1, w + 1)
    focal = (width / 2) / np.tan(np.radians(field_of_view) / 2)
    columns, rows = np.meshgrid(np.arange(width + 1) - width / 2, np.arange(height + 1) - height / 2)
    forward = corners.reshape(-1)
    right = columns.reshape(-1) / focal * forward
    up = -(rows.reshape(-1) / focal - np.tan(np.radians(pose[4]))) * forward
    positions = camera_to_world(np.asarray(pose, np.float64), forward, right, up).astype(np.float32)
    whole, stretched = grid_triangles(height, width, np.ones((height, width), bool), forward, jump)
    return Surface(positions, whole, stretched, picture, np.asarray(pose, np.float64).copy(), field_of_view)


@dataclass
class SurroundSurface:
    """A surround's built part as a mesh: vertices (N, 3) in the world with texture coordinates (N, 2) into
    ``picture`` (H, W, 3) uint8, the triangles over one surface and those across a jump in depth."""
    positions: np.ndarray
    uvs: np.ndarray
    triangles: np.ndarray
    stretched: np.ndarray
    picture: np.ndarray


def grid_triangles(rows: int, columns: int, cells: np.ndarray, depth: np.ndarray,
                   jump: float = SURFACE_JUMP) -> tuple[np.ndarray, np.ndarray]:
    """Two triangles per cell of a (rows + 1) x (columns + 1) vertex grid where ``cells`` (rows, columns) is
    set, split into those over one surface and those across a jump in ``depth`` (per vertex)."""
    index = np.arange((rows + 1) * (columns + 1)).reshape(rows + 1, columns + 1)
    a, b, c, d = index[:-1, :-1], index[:-1, 1:], index[1:, :-1], index[1:, 1:]
    keep = np.concatenate([cells.reshape(-1), cells.reshape(-1)])
    triangles = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([b, d, c], -1).reshape(-1, 3)])[keep]
    spans = depth.reshape(-1)[triangles]
    whole = (spans.min(1) > 0) & (spans.max(1) <= jump * spans.min(1))
    return triangles[whole].astype(np.int32), triangles[~whole].astype(np.int32)


class Canvas:
    """Draws pictures' surfaces at camera poses through one OpenGL context (``create``; ``close`` when done):
    the prompt's, and the world builder's surround around it (engine.memory.builder), z-buffered together."""

    def __init__(self, context) -> None:
        import moderngl

        self.ctx = context
        self.program = context.program(vertex_shader=_source(VERTEX), fragment_shader=_source(FRAGMENT))
        self.surround_program = context.program(vertex_shader=_source(SURROUND_VERTEX),
                                                fragment_shader=_source(SURROUND_FRAGMENT))
        self.ctx.enable(moderngl.DEPTH_TEST)
        self._targets: dict[tuple[int, int], object] = {}
        self._surfaces: list[dict] = []

    @classmethod
    def create(cls) -> tuple["Canvas | None", str]:
        """A canvas on a headless OpenGL 3.3 context, or None and why there is none."""
        try:
            import moderngl
        except ImportError:
            return None, "moderngl is not installed"
        try:
            # EGL needs no window or display on Linux; elsewhere the platform's own (WGL, CGL).
            context = (moderngl.create_standalone_context(backend="egl") if sys.platform.startswith("linux")
                       else moderngl.create_standalone_context())
        except Exception as error:  # noqa: BLE001 - whatever EGL says, play goes on with numpy
            return None, f"no OpenGL context ({str(error).splitlines()[0] if str(error) else type(error).__name__})"
        try:
            return cls(context), ""
        except Exception as error:  # noqa: BLE001 - a driver without OpenGL 3.3
            context.release()
            return None, f"OpenGL 3.3 is not available ({str(error).splitlines()[0]})"

    def close(self) -> None:
        self.ctx.release()

    def _target(self, size: tuple[int, int]):
        if size not in self._targets:
            self._targets[size] = self.ctx.framebuffer([self.ctx.renderbuffer(size, 4)], self.ctx.depth_renderbuffer(size))
        return self._targets[size]

    def set_surface(self, surface: Surface | None) -> None:
        """The picture to draw (None: nothing)."""
        self.set_surfaces([] if surface is None else [surface])

    def set_surfaces(self, surfaces: list[Surface | SurroundSurface]) -> None:
        """The pictures to draw: each from the pose it was seen from, or a surround by its coordinates. A
        surface drawn already stays uploaded (a picture's texture and its mipmaps take a while on a CPU)."""
        uploaded = {id(parts["source"]): parts for parts in self._surfaces}
        self._surfaces = [uploaded.pop(id(surface)) if id(surface) in uploaded else self._upload(surface)
                          for surface in surfaces]
        for parts in uploaded.values():
            for name, part in parts.items():
                if name not in ("program", "source") and hasattr(part, "release"):
                    part.release()

    def _upload(self, surface: Surface | SurroundSurface) -> dict:
        import moderngl

        height, width = surface.picture.shape[:2]
        texture = self.ctx.texture((width, height), 3, np.ascontiguousarray(surface.picture).tobytes())
        texture.build_mipmaps()
        texture.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
        texture.repeat_x = texture.repeat_y = False
        positions = self.ctx.buffer(surface.positions.astype(np.float32).tobytes())
        parts: dict = {"texture": texture, "positions": positions, "source": surface}
        if isinstance(surface, SurroundSurface):
            parts["uvs"] = self.ctx.buffer(surface.uvs.astype(np.float32).tobytes())
            program, attributes = self.surround_program, [(positions, "3f", "position"), (parts["uvs"], "2f", "uv")]
        else:
            parts["origin"] = (surface.pose, surface.field_of_view, width / height)
            program, attributes = self.program, [(positions, "3f", "position")]
        parts["program"] = program
        for name, triangles in (("whole", surface.triangles), ("stretched", surface.stretched)):
            if not len(triangles):
                continue
            indices = self.ctx.buffer(triangles.astype(np.int32).tobytes())
            parts[f"{name} indices"] = indices
            parts[name] = self.ctx.vertex_array(program, attributes, index_buffer=indices, index_element_size=4)
        return parts

    def render(self, pose: np.ndarray, size: tuple[int, int], field_of_view: float, near: float = 2.0,
               stretched: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """What the surface shows from ``pose`` at ``size`` (width, height): the frame (H, W, 3)
        uint8 (a view, not a copy), and which pixels are covered (H, W) bool.
        The surface's triangles across a jump in depth are drawn behind the rest and count as covered only
        with ``stretched`` (seen from where the picture was, they are the picture; from elsewhere, a smear
        over what it never showed)."""
        import moderngl

        width, height = size
        target = self._target(size)
        target.use()
        target.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
        for program in (self.program, self.surround_program):
            program["eye"].value = tuple(float(v) for v in pose[:3])
            angle = np.radians(float(pose[3]))
            program["heading"].value = (float(np.cos(angle)), float(np.sin(angle)))
            program["tilt"].value = float(np.tan(np.radians(float(pose[4]))))
            program["focal"].value = float((width / 2) / np.tan(np.radians(field_of_view) / 2))
            program["size"].value = (float(width), float(height))
            program["near"].value = float(near)
        for parts in self._surfaces:
            parts["texture"].use(0)
            program = parts["program"]
            if "origin" in parts:
                origin, surface_field_of_view, aspect = parts["origin"]
                program["origin"].value = tuple(float(v) for v in origin[:3])
                angle = np.radians(float(origin[3]))
                program["origin_heading"].value = (float(np.cos(angle)), float(np.sin(angle)))
                program["origin_tilt"].value = float(np.tan(np.radians(float(origin[4]))))
                half = 2 * np.tan(np.radians(surface_field_of_view) / 2)
                program["origin_scale"].value = (float(1 / half), float(aspect / half))
            for name, value in (("whole", 0.0), ("stretched", 1.0)):
                if name in parts:
                    program["stretched"].value = value
                    parts[name].render(moderngl.TRIANGLES)
            program["stretched"].value = 0.0
        colour = np.frombuffer(target.read(components=4), np.uint8).reshape(height, width, 4)
        return colour[..., :3], colour[..., 3] > (0 if stretched else 200)
