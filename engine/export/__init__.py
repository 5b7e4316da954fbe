"""torch -> ONNX graphs -> world pack, with parity checks."""
