"""The world pack: its files (``format``: manifest, graphs, checksums; opened and verified before anything
runs) and how its graphs are driven (``rollout``, ``binding``: the sampler over the bounded key/value
cache). Export writes packs and checks them with the same rollout the runtime plays them with, so both
import this package and neither imports the other."""

from engine.pack.format import (FORMAT_VERSION, GRAPHS, MODEL_CARD, PACK_SUFFIX, VARIANTS, OpenedPack, PackError,
                                derive_pack,
                                embed_metrics, embed_model_card, open_pack, read_manifest, read_model_card, read_pack_manifest,
                                is_world_digest, verify_folder, world_digest, write_pack)

__all__ = ["FORMAT_VERSION", "GRAPHS", "MODEL_CARD", "PACK_SUFFIX", "VARIANTS", "OpenedPack", "PackError", "derive_pack",
           "embed_metrics", "embed_model_card", "open_pack", "read_manifest", "read_model_card", "read_pack_manifest",
           "is_world_digest", "verify_folder", "world_digest", "write_pack"]
