"""World packs (docs/contracts.md, "World pack"): one zip file (or a folder, for development) holding manifest.json
and the ONNX graphs it names, each with its sha256. Opening a pack verifies it before anything runs:
only regular members with plain relative names, a bounded inflated size, known format_version, every
named graph present with its checksum. Zip packs are extracted into a private temporary folder."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from engine.errors import DreamwalkError
from engine.files import file_sha256, replacing

FORMAT_VERSION = 1
PACK_SUFFIX = ".dwpack"
MAX_INFLATED_BYTES = 2 * 1024 ** 3          # no world is near this; a zip bomb is far past it
MAX_COMPRESSION_RATIO = 200
REQUIRED_KEYS = ("format_version", "name", "description", "license", "frame", "context_frames", "actions",
                 "sampler", "graphs", "training", "metrics")
GRAPHS = ("encoder", "decoder", "dynamics")
# Other precisions a graph may carry beside its fp32 file: fp16 (GPU providers) and int8 (CPUs without fast
# fp32 matrix units; the dynamics graph only).
VARIANTS = ("fp16", "int8")
MODEL_CARD = "MODEL_CARD.md"                # optional: what the world is, how it was made, what it measures


class PackError(DreamwalkError):
    """A world pack that cannot be opened: the message says what is wrong with it."""


def write_pack(folder: Path, out: Path) -> Path:
    """Zip a pack folder (manifest.json + graphs) into one file, written atomically."""
    folder, out = Path(folder), Path(out)
    manifest = read_manifest(folder)
    names = ["manifest.json"] + [graph["file"] for graph in manifest["graphs"].values()]
    names += [graph[variant]["file"] for graph in manifest["graphs"].values() for variant in VARIANTS
              if graph.get(variant)]
    if manifest.get("model_card"):
        names.append(manifest["model_card"]["file"])
    with replacing(out) as temporary, zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.write(folder / name, arcname=name)
    return out


MAX_MANIFEST_BYTES = 16 * 1024 ** 2       # a manifest with a long model card's metrics is under 1 MB


def read_manifest(folder: Path) -> dict[str, Any]:
    path = Path(folder) / "manifest.json"
    if not path.is_file():
        raise PackError(f"{folder} is not a world pack: it has no manifest.json")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise PackError(f"unreadable manifest.json in {folder}: {error}") from error
    return checked_manifest(text, folder)


def read_pack_manifest(path: str | Path) -> dict[str, Any]:
    """A pack's manifest, read from the file or folder without extracting or hashing its graphs: cheap
    enough to show a pack (the launcher does, on its UI thread); ``open_pack`` verifies it before it runs."""
    path = Path(path)
    if path.is_dir():
        return read_manifest(path)
    if not path.exists():
        raise PackError(f"no world pack at {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("manifest.json")
            if info.file_size > MAX_MANIFEST_BYTES:
                raise PackError(f"{path.name} holds a manifest.json of {info.file_size:,} bytes: refused")
            text = archive.read(info).decode()
    except KeyError:
        raise PackError(f"{path.name} is not a world pack: it has no manifest.json") from None
    except (zipfile.BadZipFile, zlib.error, OSError, UnicodeDecodeError) as error:
        raise PackError(f"{path.name} is not a readable world pack: {error}") from error
    return checked_manifest(text, path)


def checked_manifest(text: str, where: Path) -> dict[str, Any]:
    """The manifest in ``text`` when it is a JSON object of a known format_version with every required key."""
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as error:
        raise PackError(f"unreadable manifest.json in {where}: {error}") from error
    if not isinstance(manifest, dict):
        raise PackError("manifest.json must hold a JSON object")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise PackError(f"world pack format_version {version!r} is not supported (this Dreamwalk reads "
                        f"{FORMAT_VERSION}); update Dreamwalk or re-export the world")
    missing = [key for key in REQUIRED_KEYS if key not in manifest]
    if missing:
        raise PackError(f"manifest.json lacks {', '.join(missing)}")
    missing_graphs = [name for name in GRAPHS if name not in manifest["graphs"]]
    if missing_graphs:
        raise PackError(f"manifest.json names no {', '.join(missing_graphs)} graph")
    return manifest


# What a world plays with besides its graphs: the same graphs played at another frame rate, sampler or memory
# dream other frames. Its name, description, license, training notes and metrics are not the world.
PLAYED_KEYS = ("frame", "context_frames", "actions", "latent", "cache", "sampler", "anchor", "memory")
DIGEST_LENGTH = 64                          # hex digits of a sha256


def world_digest(manifest: dict[str, Any]) -> str:
    """What identifies a world, hex: a sha256 of its graphs' checksums and of how it plays them (PLAYED_KEYS),
    known from the manifest alone (never hashing a 40 MB file). A world renamed, described again or evaluated
    again keeps its digest; one with another graph or sampler has another."""
    checksums = {name: [graph.get("sha256")] + [graph[variant].get("sha256") for variant in VARIANTS
                                                if isinstance(graph.get(variant), dict)]
                 for name, graph in manifest["graphs"].items()}
    played = {key: manifest.get(key) for key in PLAYED_KEYS}
    text = json.dumps({"graphs": checksums, **played}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_world_digest(value: Any) -> bool:
    """Whether ``value`` reads as a world's digest: 64 lowercase hex digits."""
    return (isinstance(value, str) and len(value) == DIGEST_LENGTH
            and all(c in "0123456789abcdef" for c in value))


def verify_folder(folder: Path) -> dict[str, Any]:
    """The manifest of a pack folder whose every graph exists, stays inside it and matches its sha256."""
    folder = Path(folder).resolve()
    manifest = read_manifest(folder)
    entries = [(name, graph) for name, graph in manifest["graphs"].items()]
    entries += [(f"{name} {variant}", graph[variant]) for name, graph in manifest["graphs"].items()
                for variant in VARIANTS if graph.get(variant)]
    for name, graph in entries:
        file = str(graph.get("file", ""))
        path = (folder / file).resolve()
        if not file or folder not in path.parents:
            raise PackError(f"graph {name} points outside the pack: {file!r}")
        if not path.is_file():
            raise PackError(f"the pack is missing its {name} graph ({file})")
        if file_sha256(path) != graph.get("sha256"):
            raise PackError(f"checksum mismatch for the {name} graph ({file}): the pack is damaged or was edited")
    card = manifest.get("model_card")
    if card:
        path = (folder / str(card.get("file", ""))).resolve()
        if folder not in path.parents or not path.is_file() or file_sha256(path) != card.get("sha256"):
            raise PackError("the pack's model card is missing, outside it or does not match its checksum")
    return manifest


def _rewrite(pack: str | Path, change: Callable[[Path, dict[str, Any]], None], in_a_folder: str) -> None:
    """Rewrite a zip pack atomically after ``change(folder, manifest)`` has edited its extraction and
    manifest; the graphs are not touched. A pack folder is refused with ``in_a_folder``'s advice."""
    pack = Path(pack)
    if pack.is_dir():
        raise PackError(f"{pack} is a pack folder: {in_a_folder}")
    opened = open_pack(pack)
    try:
        manifest = dict(opened.manifest)
        change(opened.folder, manifest)
        (opened.folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
        write_pack(opened.folder, pack)
    finally:
        opened.close()


def derive_pack(pack: str | Path, out: str | Path, change: Callable[[Path, dict[str, Any]], None]) -> None:
    """Write ``out``: a copy of ``pack`` after ``change(folder, manifest)`` has added to the copy's files and
    edited its manifest (the new graphs are ``change``'s to check); ``pack`` itself is not touched, and nothing
    is written when ``change`` raises."""
    opened = open_pack(pack)
    try:
        with tempfile.TemporaryDirectory(prefix="dreamwalk-pack-") as temporary:
            folder = Path(temporary) / "pack"
            shutil.copytree(opened.folder, folder)
            manifest = json.loads((folder / "manifest.json").read_text())
            change(folder, manifest)
            (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
            write_pack(folder, Path(out))
    finally:
        opened.close()


def embed_model_card(pack: str | Path, card: str | Path) -> None:
    """Put a model card (Markdown) into a zip pack as MODEL_CARD.md, named in the manifest with its
    checksum."""
    def change(folder: Path, manifest: dict[str, Any]) -> None:
        shutil.copyfile(card, folder / MODEL_CARD)
        manifest["model_card"] = {"file": MODEL_CARD, "sha256": file_sha256(folder / MODEL_CARD)}

    _rewrite(pack, change, "copy the card into it and name it in manifest.json instead")


def embed_metrics(pack: str | Path, report: dict[str, Any]) -> None:
    """Make a `dreamwalk eval` report the manifest's metrics (what the launcher and `dreamwalk info` show)."""
    _rewrite(pack, lambda folder, manifest: manifest.update(metrics=report),
             "put the report under \"metrics\" in its manifest.json instead")


def read_model_card(pack: str | Path) -> str | None:
    """The pack's model card text, or None when it has none."""
    opened = open_pack(pack)
    try:
        card = opened.manifest.get("model_card")
        return (opened.folder / card["file"]).read_text() if card else None
    finally:
        opened.close()


class OpenedPack:
    """A verified pack folder; for a zip pack, a private extraction removed on close(). A pack opened with
    ``graphs_on_demand`` extracts (and verifies) each graph only when ``graph_path`` first asks for it."""

    def __init__(self, folder: Path, manifest: dict[str, Any], temporary: bool,
                 archive: Path | None = None) -> None:
        self.folder, self.manifest, self._temporary, self._archive = folder, manifest, temporary, archive

    def graph_path(self, name: str, precision: str = "fp32") -> Path:
        """The graph's file in ``precision`` where the pack has it, else its fp32 file (an int8 pack keeps
        its encoder and decoder in fp32)."""
        graph = self.manifest["graphs"][name]
        variant = graph.get(precision) if precision in VARIANTS else None
        entry = variant or graph
        path = self.folder / entry["file"]
        if self._archive is not None and not path.exists():
            _extract_graph(self._archive, entry, path, name)
        return path

    @property
    def has_fp16(self) -> bool:
        return all(self.manifest["graphs"][name].get("fp16") for name in GRAPHS)

    @property
    def has_int8(self) -> bool:
        return bool(self.manifest["graphs"]["dynamics"].get("int8"))

    def close(self) -> None:
        if self._temporary:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._temporary = False


def open_pack(path: str | Path, graphs_on_demand: bool = False) -> OpenedPack:
    """Open and verify a pack file or folder. Raises PackError with one clear reason. ``graphs_on_demand``
    (a zip pack): check the archive and its manifest now, and extract and verify each graph when it is first
    used (a player on a CPU never inflates the fp32 dynamics graph it does not run)."""
    path = Path(path)
    if not path.exists():
        raise PackError(f"no world pack at {path}")
    if path.is_dir():
        return OpenedPack(path, verify_folder(path), temporary=False)
    if not zipfile.is_zipfile(path):
        raise PackError(f"{path.name} is not a world pack (not a zip archive)")
    if graphs_on_demand:
        manifest = read_pack_manifest(path)
        members = _checked_members(path)
        files = {str(graph.get("file", "")) for graph in manifest["graphs"].values()}
        files |= {str(graph[variant].get("file", "")) for graph in manifest["graphs"].values()
                  for variant in VARIANTS if isinstance(graph.get(variant), dict)}
        missing = sorted(files - {member.filename for member in members})
        if missing:
            raise PackError(f"{path.name} is missing the graph file {missing[0]!r}: the pack is damaged")
        return OpenedPack(Path(tempfile.mkdtemp(prefix="dreamwalk-world-")), manifest, True, archive=path)
    folder = Path(tempfile.mkdtemp(prefix="dreamwalk-world-"))
    try:
        _extract(path, folder)
        return OpenedPack(folder, verify_folder(folder), temporary=True)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _checked_members(archive_path: Path) -> list[zipfile.ZipInfo]:
    """The archive's file members, when it inflates to a bounded size and each is a regular file with a
    plain name."""
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise PackError(f"{archive_path.name} is a damaged world pack: {error}") from error
    total = sum(member.file_size for member in members)
    packed = max(sum(member.compress_size for member in members), 1)
    if total > MAX_INFLATED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
        raise PackError(f"{archive_path.name} would inflate to {total:,} bytes from {packed:,}: refused")
    files = []
    for member in members:
        name = PurePosixPath(member.filename)
        if member.is_dir():
            continue
        if name.is_absolute() or ".." in name.parts or "\\" in member.filename or len(name.parts) != 1:
            raise PackError(f"{archive_path.name} holds a member with an unsafe path: {member.filename!r}")
        if (member.external_attr >> 16) & 0o170000 not in (0, 0o100000):
            raise PackError(f"{archive_path.name} holds a member that is not a regular file: {member.filename!r}")
        files.append(member)
    return files


def _extract_graph(archive_path: Path, entry: dict[str, Any], path: Path, name: str) -> None:
    """One graph's member of the archive written to ``path`` when it matches the manifest's sha256."""
    digest = hashlib.sha256()
    try:
        with replacing(path, durable=False) as partial:          # the pack's private extraction
            with (zipfile.ZipFile(archive_path) as archive, archive.open(str(entry["file"])) as source,
                  open(partial, "wb") as target):
                for block in iter(lambda: source.read(1 << 20), b""):
                    digest.update(block)
                    target.write(block)
            if digest.hexdigest() != entry.get("sha256"):
                raise PackError(f"checksum mismatch for the {name} graph ({entry['file']}): the pack is damaged "
                                "or was edited")
    except (zipfile.BadZipFile, zlib.error, OSError, KeyError) as error:
        raise PackError(f"{archive_path.name} is a damaged world pack: {error}") from error


def _extract(archive_path: Path, folder: Path) -> None:
    members = _checked_members(archive_path)
    try:
        with zipfile.ZipFile(archive_path) as archive:
            for member in members:
                with archive.open(member) as source, open(folder / member.filename, "wb") as target:
                    shutil.copyfileobj(source, target)
    except (zipfile.BadZipFile, zlib.error, OSError) as error:
        raise PackError(f"{archive_path.name} is a damaged world pack: {error}") from error
