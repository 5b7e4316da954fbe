"""Networks: the frame autoencoder, the dynamics transformer, the denoiser wrapper, samplers."""
