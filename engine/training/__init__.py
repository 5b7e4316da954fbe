"""Training loops (autoencoder, dynamics), typed configs and presets, checkpoints, torchrun entry."""
