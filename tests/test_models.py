import math

import numpy as np

import pytest
import torch

from engine.models.autoencoder import Autoencoder, AutoencoderConfig, frames_to_tensor, tensor_to_frames
from engine.models.denoiser import Denoiser, DiffusionConfig
from engine.models.dynamics import DynamicsConfig, DynamicsTransformer, block_causal_mask
from engine.models.rollout import LatentRollout
from engine.models.sampling import (SamplerConfig, evaluations_per_frame, guided, karras_sigmas, prior_start,
                                    sample_euler, sample_heun)
from engine.training.autoencoder import measure_latent_statistics

TINY = DynamicsConfig(latent_channels=4, latent_height=2, latent_width=3, d_model=32, layers=2, heads=2,
                      context_frames=4)


def tiny_denoiser(seed=0):
    torch.manual_seed(seed)
    network = DynamicsTransformer(TINY)
    for parameter in network.parameters():           # non-zero everywhere, so every path is exercised
        torch.nn.init.normal_(parameter, std=0.05)
    return Denoiser(network, DiffusionConfig()).eval()


def test_autoencoder_shapes_and_latent_normalisation():
    torch.manual_seed(0)
    model = Autoencoder(AutoencoderConfig(width=32, height=24, channels=[8, 16], latent_channels=4))
    frames = torch.rand(6, 3, 24, 32) * 2 - 1
    assert model.encode(frames).shape == (6, 4, 6, 8) and model.config.latent_shape == (4, 6, 8)
    assert model.decode(model.encode(frames)).shape == frames.shape
    measure_latent_statistics(model, frames)
    latents = model.encode(frames)
    assert latents.mean(dim=(0, 2, 3)).abs().max() < 1e-4
    assert (latents.std(dim=(0, 2, 3)) - 1).abs().max() < 1e-3


def test_frame_tensor_round_trip():
    frames = torch.randint(0, 256, (2, 5, 4, 3), dtype=torch.uint8)
    assert torch.equal(tensor_to_frames(frames_to_tensor(frames)), frames)


def test_block_causal_mask():
    mask = block_causal_mask(3, 2)
    assert mask.shape == (6, 6)
    assert mask[0, 1] and not mask[0, 2] and mask[5, 0] and mask[3, 2] and not mask[2, 4]
    windowed = block_causal_mask(3, 2, window=2)                         # a frame sees itself and one before
    assert windowed[5, 2] and not windowed[5, 1] and torch.equal(windowed[:4], mask[:4])


def test_frames_never_see_the_future():
    denoiser = tiny_denoiser()
    x, sigma = torch.randn(2, 4, 4, 2, 3), torch.rand(2, 4) + 0.2
    anchor = torch.randn(2, 4, 4, 2, 3)
    actions, keep = torch.randn(2, 4, 12), torch.ones(2, 4, dtype=torch.bool)
    out, _ = denoiser.denoise(x, sigma, anchor, actions, keep)
    changed = x.clone()
    changed[:, 2:] += 1.0
    out_changed, _ = denoiser.denoise(changed, sigma, anchor, actions, keep)
    torch.testing.assert_close(out[:, :2], out_changed[:, :2])          # the past is untouched
    assert (out[:, 2:] - out_changed[:, 2:]).abs().max() > 1e-3
    earlier = x.clone()
    earlier[:, 0] += 1.0
    out_earlier, _ = denoiser.denoise(earlier, sigma, anchor, actions, keep)
    assert (out[:, 3] - out_earlier[:, 3]).abs().max() > 1e-4           # the future depends on the past


def test_key_value_cache_matches_the_full_window():
    denoiser = tiny_denoiser()
    x, sigma = torch.randn(2, 4, 4, 2, 3), torch.rand(2, 4) + 0.1
    anchor = torch.randn(2, 4, 4, 2, 3)
    actions, keep = torch.randn(2, 4, 12), torch.ones(2, 4, dtype=torch.bool)
    full, _ = denoiser.denoise(x, sigma, anchor, actions, keep)
    past, pieces = None, []
    for t in range(4):
        out, present = denoiser.denoise(x[:, t:t + 1], sigma[:, t:t + 1], anchor[:, t:t + 1], actions[:, t:t + 1],
                                        keep[:, t:t + 1], past)
        past = present if past is None else [(torch.cat([k0, k1], 2), torch.cat([v0, v1], 2))
                                             for (k0, v0), (k1, v1) in zip(past, present)]
        pieces.append(out)
    torch.testing.assert_close(torch.cat(pieces, 1), full, atol=1e-5, rtol=1e-5)


def test_a_padded_cache_matches_a_short_one():
    """A fixed-size cache whose empty slots are masked (as exported graphs use it) equals a short cache."""
    denoiser = tiny_denoiser()
    x, anchor = torch.randn(1, 3, 4, 2, 3), torch.randn(1, 3, 4, 2, 3)
    sigma, actions, keep = torch.rand(1, 3) + 0.1, torch.randn(1, 3, 12), torch.ones(1, 3, dtype=torch.bool)
    _, past = denoiser.denoise(x[:, :2], sigma[:, :2], anchor[:, :2], actions[:, :2], keep[:, :2])
    short, _ = denoiser.denoise(x[:, 2:], sigma[:, 2:], anchor[:, 2:], actions[:, 2:], keep[:, 2:], past)
    padded_past = [(torch.cat([torch.randn_like(k[:, :, :6]), k], 2), torch.cat([torch.randn_like(v[:, :, :6]), v], 2))
                   for k, v in past]                                # one garbage frame in front, masked out
    valid = torch.tensor([[False] * 6 + [True] * 12])
    padded, _ = denoiser.denoise(x[:, 2:], sigma[:, 2:], anchor[:, 2:], actions[:, 2:], keep[:, 2:], padded_past,
                                 valid)
    # Positions are relative within the window: one extra (masked) slot in front shifts nothing that is seen.
    torch.testing.assert_close(padded, short, atol=1e-5, rtol=1e-5)


def test_rollout_context_stays_bounded_and_is_reproducible():
    denoiser = tiny_denoiser()
    runs = []
    for _ in range(2):
        rollout = LatentRollout(denoiser, SamplerConfig(name="heun", steps=2), torch.Generator().manual_seed(5))
        rollout.prime(torch.randn(1, 4, 2, 3, generator=torch.Generator().manual_seed(1)))
        latents = [rollout.step(torch.full((1, 12), 0.5)) for _ in range(9)]
        limit = (TINY.context_frames - 1) * 6
        assert all(k.shape[2] == limit and v.shape[2] == limit for k, v in rollout.cache)
        runs.append(torch.stack(latents))
    torch.testing.assert_close(runs[0], runs[1])


def test_edm_scalings_and_training_loss():
    denoiser = tiny_denoiser()
    c_skip, c_out, c_in, c_noise = denoiser.scalings(torch.tensor(1.0))
    assert c_skip == pytest.approx(0.5) and c_out == pytest.approx(math.sqrt(0.5))
    assert c_in == pytest.approx(math.sqrt(0.5)) and c_noise == pytest.approx(0.0)
    loss, per_frame = denoiser(torch.randn(3, 5, 4, 2, 3), torch.randn(3, 4, 12))
    assert per_frame.shape == (3, 4) and torch.isfinite(loss)


def test_predicting_the_change_adds_the_change_to_the_last_frame():
    """A denoiser that is sure nothing changes dreams exactly the last frame (the copy baseline)."""

    class NothingChanges(Denoiser):
        def denoise(self, noisy, sigma, anchor, actions, action_mask, past=None, past_valid=None):
            _, presents = super().denoise(noisy, sigma, anchor, actions, action_mask, past, past_valid)
            return torch.zeros_like(noisy), presents

    base = tiny_denoiser()
    rollout = LatentRollout(NothingChanges(base.network, base.config), SamplerConfig(name="heun", steps=3))
    prompt = torch.randn(2, 4, 2, 3)
    rollout.prime(prompt)
    first = rollout.step(torch.zeros(2, 12))
    second = rollout.step(torch.ones(2, 12))
    torch.testing.assert_close(first, prompt)
    torch.testing.assert_close(second, prompt)


@pytest.mark.parametrize("sampler, steps", [(sample_euler, 256), (sample_heun, 32)])   # first vs second order
def test_samplers_draw_from_the_data_distribution(sampler, steps):
    """With the exact denoiser of N(mean, std^2) data, the samplers must return that distribution."""
    mean, std = 1.5, 0.5

    def denoise(x, sigma):
        return mean + std ** 2 / (std ** 2 + sigma ** 2) * (x - mean)

    sigmas = karras_sigmas(steps, 0.002, 80.0)
    assert sigmas[0] == pytest.approx(80.0) and sigmas[-1] == 0 and (sigmas[:-1] > sigmas[1:]).all()
    numpy_samples = sampler(lambda x, s: mean + std ** 2 / (std ** 2 + s ** 2) * (x - mean),
                            np.random.default_rng(0).standard_normal(20000), sigmas)
    assert abs(numpy_samples.std() - std) < 0.02                       # the same code runs on numpy
    samples = sampler(denoise, torch.randn(20000, generator=torch.Generator().manual_seed(0)), sigmas)
    assert samples.mean().item() == pytest.approx(mean, abs=0.02)
    assert samples.std().item() == pytest.approx(std, abs=0.02)


def test_classifier_free_guidance_formula():
    conditional = lambda x, s: x + 1.0     # noqa: E731
    unconditional = lambda x, s: x         # noqa: E731
    x = torch.zeros(3)
    assert guided(conditional, unconditional, 1.0) is conditional
    torch.testing.assert_close(guided(conditional, unconditional, 3.0)(x, 1.0), torch.full((3,), 3.0))


def test_truncated_sampling_starts_nearer_the_last_frame():
    from engine.models.sampling import sampling_sigma_max

    base = tiny_denoiser()
    rollout = LatentRollout(base, SamplerConfig(name="heun", steps=3, sigma_max=1.0))
    assert rollout.sigmas[0] == pytest.approx(1.0) and rollout.sigmas[-1] == 0
    assert LatentRollout(base, SamplerConfig(name="heun", steps=3)).sigmas[0] == pytest.approx(base.config.sigma_max)
    with pytest.raises(ValueError, match="predicts the change"):
        sampling_sigma_max(DiffusionConfig(predict_change=False), 1.0)
    with pytest.raises(ValueError):
        sampling_sigma_max(DiffusionConfig(), 50.0)


@pytest.mark.parametrize("sample", [sample_euler, sample_heun])
def test_prior_start_keeps_what_truncated_sampling_loses(sample):
    """The exact denoiser of data N(mu, 1) (mu: what the action says the change is). Sampling truncated at
    sigma 1 from "nothing changed" lands only part of the way to mu; starting from the model's own guess
    (its denoised zero input at sigma 5) lands on mu, with the spread of the data."""
    mu = 3.0

    def denoise(x, sigma):
        return (x + sigma ** 2 * mu) / (1 + sigma ** 2)

    noise = np.random.default_rng(0).standard_normal(20_000)
    sigmas = karras_sigmas(4, 0.002, 1.0)
    assert prior_start(denoise, noise, sigmas, None) is noise
    plain = sample(denoise, noise, sigmas)
    primed = sample(denoise, prior_start(denoise, noise, sigmas, 5.0), sigmas)
    assert plain.mean() < 0.8 * mu                                  # truncation pulls towards "no change"
    assert primed.mean() == pytest.approx(mu, abs=0.15)
    assert primed.std() == pytest.approx(plain.std(), rel=1e-6)      # same noise, same spread: only shifted


def test_rollout_with_a_prior_start_costs_one_pass_more():
    denoiser = tiny_denoiser()
    calls = {"count": 0}
    original = denoiser.denoise

    def counted(*args, **kwargs):
        calls["count"] += 1
        return original(*args, **kwargs)

    denoiser.denoise = counted
    latent, action = torch.randn(2, 4, 2, 3), torch.randn(2, 12)
    frames = {}
    for prior in (None, 5.0):
        rollout = LatentRollout(denoiser, SamplerConfig(name="euler", steps=2, sigma_max=1.0, prior_sigma=prior),
                                torch.Generator().manual_seed(0))
        rollout.prime(latent)
        calls["count"] = 0
        frames[prior] = rollout.predict(action)
        passes = calls["count"]
        assert passes == (2 if prior is None else 3) == evaluations_per_frame("euler", 2, prior is not None)
    assert (frames[None] - frames[5.0]).abs().mean() > 1e-3


def test_dreamed_frames_enter_the_context_at_the_level_asked():
    """``context_sigma`` is the noise a finished frame is cached at: the trained level by default, another
    one on request (changing what later frames see), and nothing outside the trained noise levels."""
    denoiser = tiny_denoiser()
    latent, action = torch.randn(2, 4, 2, 3), torch.randn(2, 12)
    with pytest.raises(ValueError, match=r"context_sigma must lie in \[0, 5\], got 6"):
        LatentRollout(denoiser, SamplerConfig(name="heun", steps=2, sigma_max=1.0, context_sigma=6.0))
    levels, frames = [], {}
    original = denoiser.denoise
    denoiser.denoise = lambda noisy, sigma, *rest: levels.append(sigma) or original(noisy, sigma, *rest)
    for level in (None, 0.3):
        rollout = LatentRollout(denoiser, SamplerConfig(name="euler", steps=2, sigma_max=1.0, context_sigma=level),
                                torch.Generator().manual_seed(0))
        levels.clear()
        rollout.prime(latent)
        assert torch.all(levels[0] == (denoiser.config.context_sigma if level is None else level))
        rollout.step(action)
        frames[level] = rollout.predict(action)
    assert (frames[None] - frames[0.3]).abs().mean() > 1e-5          # same seed: only the level differs




def test_one_sampler_config_is_resolved_against_the_checkpoint_and_checked_once():
    """The settings left None are the checkpoint's own (a teacher: four Heun steps from its trained maximum; a
    student: one Euler step from where it was distilled), the model's sigma_min and predict_change come with
    them, and resolving a resolved sampler changes nothing."""
    diffusion = DiffusionConfig(sigma_min=0.004, context_sigma=0.06)
    teacher = SamplerConfig().resolve({}, diffusion)
    assert teacher == SamplerConfig(name="heun", steps=4, guidance_scale=1.0, sigma_min=0.004, sigma_max=5.0,
                                    prior_sigma=None, context_sigma=0.06, predict_change=True)
    assert teacher.unresolved() == [] and teacher.resolve({}, diffusion) == teacher == teacher.for_model(diffusion)
    distilled = {"distilled": {"student_sigma": 2.0, "context_sigma": 0.08}}
    student = SamplerConfig(guidance_scale=1.5, prior_sigma=4).resolve(distilled, diffusion)
    assert (student.name, student.steps, student.guidance_scale, student.sigma_max, student.prior_sigma,
            student.context_sigma) == ("euler", 1, 1.5, 2.0, 4.0, 0.08)
    assert SamplerConfig(steps=3, sigma_max=1.0).resolve(distilled, diffusion).sigma_max == 1.0     # given wins
    assert SamplerConfig(steps=2, context_sigma=0.1).given() == ["--steps", "--context-sigma"]
    assert SamplerConfig(name="heun", steps=2).unresolved() == ["guidance_scale", "sigma_min", "sigma_max",
                                                                "context_sigma", "predict_change"]
    with pytest.raises(ValueError, match="unknown sampler 'dpm'; choose one of: heun, euler"):
        SamplerConfig(name="dpm").resolve({}, diffusion)
    with pytest.raises(ValueError, match="steps must be 1 or more, got 0"):
        SamplerConfig(steps=0).resolve({}, diffusion)
    with pytest.raises(ValueError, match="steps must be 1 or more, got None"):
        SamplerConfig(name="heun").for_model(diffusion)            # a rollout needs its steps given
    with pytest.raises(TypeError):
        SamplerConfig("heun", 4)                                   # by name only: the fields are the manifest's


def test_settings_of_earlier_versions_are_dropped_while_off_and_refused_when_on():
    """A checkpoint or pack config naming a retired setting loads while the setting is off; on, it gets one
    line naming the version that reads it."""
    from engine.config import ConfigError, from_dict

    config = from_dict(DiffusionConfig, {"sigma_data": 0.9, "warp": False, "rotation_turn_range": None})
    assert config.sigma_data == 0.9 and not hasattr(config, "warp")
    with pytest.raises(ConfigError, match=r"^DiffusionConfig.warp=True is a setting this version of Dreamwalk no "
                                          r"longer has; Dreamwalk 0.1 reads it$"):
        from_dict(DiffusionConfig, {"warp": True})
    with pytest.raises(ConfigError, match="unknown DiffusionConfig field"):
        from_dict(DiffusionConfig, {"wrap": False})
