"""Golden numbers: tiny seeded models on CPU in float32, a few outputs pinned, so any change of the maths
(layers, preconditioning, loss, schedule, samplers) shows up as a failed comparison here."""

import numpy as np
import pytest
import torch

from engine.models.autoencoder import Autoencoder, AutoencoderConfig
from engine.models.denoiser import Denoiser, DiffusionConfig
from engine.models.dynamics import DynamicsConfig, DynamicsTransformer
from engine.models.sampling import SAMPLERS, guided, karras_sigmas, prior_start

TOLERANCE = dict(atol=1e-4, rtol=1e-4)
TINY_AUTOENCODER = AutoencoderConfig(width=32, height=24, channels=[8, 16], latent_channels=4)
TINY_DYNAMICS = DynamicsConfig(latent_channels=4, latent_height=2, latent_width=3, d_model=32, layers=2, heads=2,
                               action_dim=12, context_frames=4)

# latents[1, 0, 2, :6] and decoded[1, 2, 12, 10:16]
GOLDEN_LATENT = [-0.083525, -0.0254628, 0.04746341, 0.464798, 0.2804489, 0.4021985]
GOLDEN_DECODED = [-0.3990516, -0.2653496, -0.1460504, -0.03161802, 0.6223739, 1.296018]
# denoised[1, 4, 3, 1, :] then denoised[0, 2, 0, 0, :]
GOLDEN_DENOISED = [-2.950025, -2.003519, -1.835486, -0.01331601, 0.7205963, 0.3174157]
GOLDEN_LOSS = 3.003699
GOLDEN_PER_FRAME_LOSS = [[2.042061, 1.75984, 7.276588, 1.888554, 5.048112],                 # (B, T)
                         [2.493113, 1.143287, 2.648133, 1.900556, 3.836751]]
GOLDEN_SIGMAS = [5.0, 0.8447489, 0.07743887, 0.002, 0.0]                                  # karras_sigmas(4, 0.002, 5.0)
GOLDEN_SAMPLES = {                   # sample[1, 0, 2].flatten()
    "euler": [0.2622612, 0.05280907, -0.001525588, 0.2199067, 1.287508, 0.03053331],
    "heun": [-0.1388358, 0.0775222, 0.2288369, -0.533783, 0.3882825, -0.7946635],
}


def check(actual: torch.Tensor, expected) -> None:
    torch.testing.assert_close(actual.detach().float(), torch.tensor(expected, dtype=torch.float32), **TOLERANCE)


def autoencoder_outputs() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = Autoencoder(TINY_AUTOENCODER).eval()
    frames = torch.rand(2, 3, 24, 32) * 2 - 1                                   # (B, 3, H, W) in [-1, 1]
    with torch.no_grad():
        latents = model.encode(frames)                                          # (B, 4, 6, 8)
        return latents, model.decode(latents)


def tiny_denoiser() -> Denoiser:
    torch.manual_seed(0)
    network = DynamicsTransformer(TINY_DYNAMICS)
    # adaLN-Zero and the zero head would make the network output 0; weights of about 1/sqrt(d_model) everywhere
    # make every path (attention, RoPE, the context window, the MLP) move the output well past the tolerance.
    for parameter in network.parameters():
        torch.nn.init.normal_(parameter, std=0.2)
    return Denoiser(network, DiffusionConfig())


def denoiser_inputs() -> tuple[torch.Tensor, ...]:
    """Five frames, one more than the context window, so the last frame's window drops the first."""
    generator = torch.Generator().manual_seed(1)
    noisy = torch.randn(2, 5, 4, 2, 3, generator=generator)                     # (B, T, C, h, w)
    sigma = torch.rand(2, 5, generator=generator) + 0.2                         # (B, T)
    anchor = torch.randn(2, 5, 4, 2, 3, generator=generator)
    actions = torch.randn(2, 5, 12, generator=generator)                        # (B, T, A)
    return noisy, sigma, anchor, actions, torch.ones(2, 5, dtype=torch.bool)


def denoised_slice() -> torch.Tensor:
    with torch.no_grad():
        denoised, _ = tiny_denoiser().eval().denoise(*denoiser_inputs())
    return torch.cat([denoised[1, 4, 3, 1], denoised[0, 2, 0, 0]])


def training_loss() -> tuple[torch.Tensor, torch.Tensor]:
    denoiser = tiny_denoiser()
    generator = torch.Generator().manual_seed(2)
    latents = torch.randn(2, 6, 4, 2, 3, generator=generator)                   # (B, T + 1, C, h, w)
    actions = torch.randn(2, 5, 12, generator=generator)                        # (B, T, A)
    torch.manual_seed(3)                             # the loss draws its noise levels and noise from the global seed
    with torch.no_grad():
        return denoiser(latents, actions)


def sample(name: str) -> torch.Tensor:
    denoiser = tiny_denoiser().eval()
    generator = torch.Generator().manual_seed(4)
    anchor = torch.randn(2, 1, 4, 2, 3, generator=generator)                    # (B, 1, C, h, w)
    actions = torch.randn(2, 1, 12, generator=generator)
    noise = torch.randn(2, 1, 4, 2, 3, generator=generator)

    def denoiser_with(keep_action: bool):
        mask = torch.full((2, 1), keep_action)
        return lambda x, sigma: denoiser.denoise(x, torch.full((2, 1), sigma), anchor, actions, mask)[0]

    denoise = guided(denoiser_with(True), denoiser_with(False), 1.5)
    sigmas = karras_sigmas(3, 0.002, 1.0)
    with torch.no_grad():
        return SAMPLERS[name](denoise, prior_start(denoise, noise, sigmas, 5.0), sigmas)


def test_autoencoder_golden_latents_and_reconstruction():
    """Pins a slice of the tiny seeded autoencoder's latents and of its decoded frames."""
    latents, decoded = autoencoder_outputs()
    check(latents[1, 0, 2, :6], GOLDEN_LATENT)
    check(decoded[1, 2, 12, 10:16], GOLDEN_DECODED)


def test_denoiser_golden_output():
    """Pins a slice of one preconditioned denoiser call of the tiny seeded dynamics transformer."""
    check(denoised_slice(), GOLDEN_DENOISED)


def test_denoiser_golden_training_loss():
    """Pins the EDM training loss (mean and per frame) of the tiny seeded denoiser on a fixed batch."""
    loss, per_frame = training_loss()
    check(loss, GOLDEN_LOSS)
    check(per_frame, GOLDEN_PER_FRAME_LOSS)


def test_karras_schedule_golden_values():
    """Pins the Karras noise schedule from sigma_max 5 to sigma_min 0.002, then 0."""
    np.testing.assert_allclose(karras_sigmas(4, 0.002, 5.0), GOLDEN_SIGMAS, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["euler", "heun"])
def test_sampler_golden_sample(name):
    """Pins a slice of a guided, prior-started, truncated sample of the tiny seeded denoiser."""
    check(sample(name)[1, 0, 2].flatten(), GOLDEN_SAMPLES[name])
