"""Play-time inference on ONNX Runtime: needs numpy, pillow and onnxruntime only (no torch).

    from engine.runtime import WorldSession
"""

from engine.runtime.session import WorldSession

__all__ = ["WorldSession"]
