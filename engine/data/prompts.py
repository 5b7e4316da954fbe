"""Render the bundled prompt images in ``assets/prompts/``: full-resolution (640x480) views of Freedoom 2
MAP01-MAP20 (never MAP21 or later: those are the evaluation maps), MiniWorld views, and pictures of other
kinds drawn here (a pencil sketch, a painted landscape, a photo-like courtyard) so people see honestly how a
Doom world behaves far from Doom, and a panorama: MAP01's whole turn from its start, stitched from real views.
Captions go to ``assets/prompts/captions.json``.

    dreamwalk data prompts --out assets/prompts

Deterministic: the same command writes the same pictures.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

os.environ.setdefault("PYGLET_HEADLESS", "True")

from engine.data.sources import open_source
from engine.files import write_text
from engine.policies import make_policy

SIZE = (640, 480)
# (map, seed, caption): one view each, chosen by detail from a short explore-policy walk.
DOOM_VIEWS = [
    ("MAP01", 1, "Freedoom 2 MAP01: a hall with a light panel"),
    ("MAP02", 2, "Freedoom 2 MAP02: a dark room with a zombie"),
    ("MAP04", 4, "Freedoom 2 MAP04: a tech room with a grated floor"),
    ("MAP06", 6, "Freedoom 2 MAP06: a green room with a pool"),
    ("MAP08", 8, "Freedoom 2 MAP08: a room under a rock ceiling"),
    ("MAP10", 10, "Freedoom 2 MAP10: rock walls and water"),
    ("MAP13", 13, "Freedoom 2 MAP13: crates and hex-tiled walls"),
    ("MAP15", 15, "Freedoom 2 MAP15: consoles under a city skyline"),
    ("MAP17", 17, "Freedoom 2 MAP17: outdoors, an imp's fireball"),
    ("MAP20", 20, "Freedoom 2 MAP20: a courtyard with pillars"),
]
PANORAMA = ("MAP01", "Freedoom 2 MAP01: the whole hall round, a 360-degree panorama")
PANORAMA_VIEWS = 16            # real views round the turn a panorama is stitched from
MINIWORLD_VIEWS = [
    ("FourRooms", 3, "MiniWorld FourRooms: flat-shaded rooms (out of the Doom world's training data)"),
    ("Maze", 5, "MiniWorld Maze: brick maze walls (out of the Doom world's training data)"),
    ("Sidewalk", 2, "MiniWorld Sidewalk: a street front (out of the Doom world's training data)"),
]


def detail(frame: np.ndarray) -> float:
    """How much there is to see: contrast plus edge energy, lower for frames facing a wall."""
    gray = frame.astype(np.float32).mean(axis=2) / 255.0
    edges = np.abs(np.diff(gray, axis=0)).mean() + np.abs(np.diff(gray, axis=1)).mean()
    return float(gray.std() + 4.0 * edges)


def best_view(source_name: str, frames: int, **options) -> np.ndarray:
    """The richest open view of a short explore-policy walk: among the frames that look farthest into
    the room (central depth in the top third), the one with the most detail."""
    seed = options.pop("seed")
    with open_source(source_name, depth=True, seed=seed, **options) as source:
        frame = source.reset()
        policy = make_policy("explore", seed=seed, step_size=source.walk_step)
        views: list[tuple[float, np.ndarray]] = []
        for index in range(frames):
            depth = source.depth
            if index >= frames // 3:           # the start pose is the same for every player
                h, w = depth.shape
                views.append((float(np.median(depth[h // 4: 3 * h // 4, w // 4: 3 * w // 4])), frame))
            frame = source.step(policy.act(frame, source.pose, depth))
            if source.done:
                break
    far = sorted(views, key=lambda view: view[0])[-max(1, len(views) // 3):]
    return max((frame for _, frame in far), key=detail)


def doom_turn(map_name: str, views: int = PANORAMA_VIEWS) -> tuple[list[np.ndarray], np.ndarray]:
    """Doom's views (640x480, no HUD or weapon) turning right from the map's start, ``views`` round a whole
    turn, and the angle (degrees right of the start) each was seen at."""
    with open_source("vizdoom", map=map_name, resolution=f"{SIZE[0]}x{SIZE[1]}", weapon=False) as source:
        frames, angles = [source.reset()], [0.0]
        start = source.pose[3]
        for _ in range(views - 1):
            frames.append(source.step({"turn": 360.0 / views}))
            angles.append(float(np.mod(start - source.pose[3], 360.0)))
    return frames, np.array(angles)


def stitch_panorama(frames: list[np.ndarray], angles: np.ndarray) -> np.ndarray:
    """A cylindrical panorama (a whole turn, as high as the view: engine.memory.panorama reads it so) from
    90-degree views at ``angles`` (degrees right of the first): each pixel from the view it is nearest the
    middle of."""
    from engine.memory.builder import PictureView
    from engine.memory.panorama import nearest_views

    height, width = frames[0].shape[:2]
    camera = PictureView((width, height), 90.0)
    columns, rows = np.meshgrid(np.arange(round(2 * np.pi * camera.focal)) + 0.5, np.arange(height) + 0.5)
    azimuth = (columns - columns.shape[1] / 2) / camera.focal
    tangent = (height / 2 - rows) / camera.focal
    panorama = np.zeros((*columns.shape, 3), np.uint8)
    for index, mine, offset in nearest_views(azimuth, np.radians(angles)):
        x, y, _ = camera.pixel(offset, tangent[mine])
        panorama[mine] = frames[index][np.clip(y.astype(int), 0, height - 1), np.clip(x.astype(int), 0, width - 1)]
    return panorama


def pencil_sketch() -> Image.Image:
    """A one-point perspective corridor drawn in pencil on paper."""
    rng = np.random.default_rng(7)
    image = Image.new("RGB", SIZE, (236, 231, 218))
    draw = ImageDraw.Draw(image)
    w, h = SIZE
    vanish = (w * 0.52, h * 0.45)
    near = [(40, 30), (w - 40, 30), (w - 40, h - 30), (40, h - 30)]
    far = [(vanish[0] - 70, vanish[1] - 55), (vanish[0] + 70, vanish[1] - 55),
           (vanish[0] + 70, vanish[1] + 60), (vanish[0] - 70, vanish[1] + 60)]

    def line(a, b, width=2):
        for _ in range(2):                      # doubled, slightly wobbly strokes
            jitter = rng.normal(0, 1.2, 4)
            draw.line([(a[0] + jitter[0], a[1] + jitter[1]), (b[0] + jitter[2], b[1] + jitter[3])],
                      fill=(60, 58, 55), width=width)

    for a, b in zip(near, far):
        line(a, b)
    for i in range(4):
        line(far[i], far[(i + 1) % 4])
    for t in np.linspace(0.15, 0.85, 6):         # floor tiles and wall panels
        left = tuple(np.add(near[3], np.multiply(t, np.subtract(far[3], near[3]))))
        right = tuple(np.add(near[2], np.multiply(t, np.subtract(far[2], near[2]))))
        line(left, right, 1)
        top = tuple(np.add(near[0], np.multiply(t, np.subtract(far[0], near[0]))))
        line(top, left, 1)
        top_right = tuple(np.add(near[1], np.multiply(t, np.subtract(far[1], near[1]))))
        line(top_right, right, 1)
    draw.rectangle([vanish[0] - 25, vanish[1] - 30, vanish[0] + 25, vanish[1] + 60], outline=(40, 38, 36), width=3)
    for _ in range(900):                          # hatching on the left wall
        x = rng.uniform(45, far[0][0] - 5)
        y = rng.uniform(40, h - 40)
        draw.line([(x, y), (x + 6, y - 6)], fill=(120, 116, 108), width=1)
    return image.filter(ImageFilter.SMOOTH)


def painted_landscape() -> Image.Image:
    """Concept-art style: a castle on a hill under a sunset sky, painted in soft strokes."""
    rng = np.random.default_rng(11)
    w, h = SIZE
    y = np.linspace(0, 1, h)[:, None, None]
    sky = (1 - y) * np.array([70, 90, 160]) + y * np.array([250, 160, 90])
    pixels = np.broadcast_to(sky, (h, w, 3)).copy()
    xs = np.arange(w)
    hills = [(0.62, 40, 0.011, (70, 60, 80)), (0.72, 30, 0.02, (50, 70, 50)), (0.82, 20, 0.035, (35, 50, 35))]
    for base, amplitude, frequency, colour in hills:
        ridge = h * base + amplitude * np.sin(xs * frequency + rng.uniform(0, 6)) + rng.normal(0, 2, w).cumsum() * 0.3
        mask = np.arange(h)[:, None] > ridge[None, :]
        pixels[mask] = colour
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    draw.ellipse([420, 210, 500, 290], fill=(255, 220, 150))
    castle = (40, 35, 50)
    draw.rectangle([180, 250, 330, 330], fill=castle)
    for x in (170, 240, 310):
        draw.rectangle([x, 200, x + 32, 330], fill=castle)
        draw.polygon([(x - 6, 200), (x + 16, 160), (x + 38, 200)], fill=castle)
    for _ in range(1500):                         # brush texture
        x, y0 = rng.uniform(0, w), rng.uniform(0, h)
        r, g, b = image.getpixel((int(x), int(y0)))
        shade = int(rng.normal(0, 12))
        draw.ellipse([x - 4, y0 - 2, x + 4, y0 + 2], fill=(max(0, min(255, r + shade)), max(0, min(255, g + shade)),
                                                            max(0, min(255, b + shade))))
    return image.filter(ImageFilter.GaussianBlur(0.8))


def photo_courtyard() -> Image.Image:
    """A photo-like view down a sunlit stone courtyard with shading, texture noise and soft focus."""
    rng = np.random.default_rng(23)
    w, h = SIZE
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    horizon = h * 0.42
    pixels = np.zeros((h, w, 3), np.float32)
    sky = yy < horizon
    pixels[sky] = (np.array([150, 185, 230]) * (0.8 + 0.2 * (yy[sky] / horizon))[:, None])
    ground = ~sky
    depth = (yy[ground] - horizon) / (h - horizon)
    cobble = 0.85 + 0.15 * np.sin(xx[ground] / (4 + 30 * depth)) * np.sin(yy[ground] / (2 + 12 * depth))
    pixels[ground] = np.array([150, 135, 110]) * (0.55 + 0.45 * depth)[:, None] * cobble[:, None]
    walls = [(0, 170, 60, (165, 150, 130)), (470, w, 60, (140, 130, 120))]
    for left, right, top, colour in walls:
        region = (xx >= left) & (xx < right) & (yy >= top) & (yy < h * 0.78)
        bricks = 0.9 + 0.1 * ((np.floor(yy / 14) + np.floor(xx / 28)) % 2)
        pixels[region] = np.array(colour) * bricks[region][:, None]
    window = (xx > 60) & (xx < 110) & (yy > 120) & (yy < 200)
    pixels[window] = (40, 45, 55)
    pixels += rng.normal(0, 6, pixels.shape)     # sensor noise
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return image.filter(ImageFilter.GaussianBlur(1.1))


def render_prompts(out: Path, frames: int = 240) -> dict[str, str]:
    """Write every bundled prompt and captions.json into ``out``; ``frames``: how far each walk explores
    before a view is chosen. Returns the captions."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    captions: dict[str, str] = {}
    for map_name, seed, caption in DOOM_VIEWS:
        frame = best_view("vizdoom", frames, map=map_name, seed=seed, resolution="640x480")
        name = f"doom-{map_name.lower()}.png"
        Image.fromarray(frame).save(out / name, optimize=True)
        captions[name] = caption
        print(name, caption)
    map_name, caption = PANORAMA
    name = f"doom-{map_name.lower()}-panorama.jpg"
    Image.fromarray(stitch_panorama(*doom_turn(map_name))).save(out / name, quality=90)
    captions[name] = caption
    print(name, caption)
    for env, seed, caption in MINIWORLD_VIEWS:
        frame = best_view("miniworld", frames // 2, env=env, seed=seed, width=SIZE[0], height=SIZE[1])
        name = f"miniworld-{env.lower()}.png"
        Image.fromarray(frame).save(out / name, optimize=True)
        captions[name] = caption
        print(name, caption)
    for name, draw, caption in [
        ("other-pencil-sketch.png", pencil_sketch, "A pencil sketch of a corridor (out of domain)"),
        ("other-painted-castle.png", painted_landscape, "A painted castle at sunset (out of domain)"),
        ("other-photo-courtyard.jpg", photo_courtyard, "A photo-like stone courtyard (out of domain)"),
    ]:
        image = draw()
        image.save(out / name, **({"quality": 90} if name.endswith(".jpg") else {"optimize": True}))
        captions[name] = caption
        print(name, caption)
    write_text(out / "captions.json", json.dumps(captions, indent=1) + "\n")
    return captions
