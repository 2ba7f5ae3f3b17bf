"""Baseline generative models of the paper's Table 1, for the benchmark scripts only.

Not part of skSIG's public API. Every model shares the paper's 2-D generator network (10-d
standard normal noise, two hidden ReLU layers of 100: ``skSIG._networks.MLP``, the network
of :class:`skSIG.SemiImplicitDensity`), discriminators have one hidden layer of 100 and
encoders two. Each has ``fit(X)`` and ``sample(n)`` and draws all its randomness from a
``torch.Generator`` seeded by ``random_state``.
"""

from .gan import GAN
from .unrolled import UnrolledGAN
from .vae import VAE
from .veegan import VEEGAN

__all__ = ["GAN", "UnrolledGAN", "VAE", "VEEGAN"]
