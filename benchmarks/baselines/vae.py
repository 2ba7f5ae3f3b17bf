"""Variational auto-encoder (Kingma and Welling, 2014) whose decoder is the paper's generator."""

import math

import torch

from ._base import HIDDEN, Baseline


class VAE(Baseline):
    """``q(z | x) = N(mu(x), diag s(x)^2)`` (encoder 2x100), ``p(x | z) = N(G(z), sigma^2 I)``.

    ``sample`` returns the decoder means ``G(z)``, ``z ~ N(0, I)``, as the other models do.

    Parameters
    ----------
    sigma : float, default=0.05
        Standard deviation of the decoder's Gaussian likelihood (the grid's component std).
    **kwargs
        Those of :class:`~benchmarks.baselines._base.Baseline`.
    """

    def __init__(self, sigma=0.05, **kwargs):
        super().__init__(**kwargs)
        self.sigma = sigma

    def _build(self, n_features):
        self.encoder_ = self._net(n_features, 2 * self.n_latent, HIDDEN)
        self.opt_ = self._adam(self.generator_, self.encoder_)

    def _step(self, x):
        mu, log_var = self.encoder_(x).chunk(2, dim=-1)  # [N, L] each
        z = mu + torch.exp(0.5 * log_var) * self._noise(len(x))
        sq = ((x - self.generator_(z)) ** 2).sum(-1)
        nll = 0.5 * sq / self.sigma**2 + x.shape[1] * (math.log(self.sigma) + 0.5 * math.log(2 * math.pi))
        kl = 0.5 * (mu**2 + log_var.exp() - 1 - log_var).sum(-1)
        loss = (nll + kl).mean()  # negative ELBO per point
        self.opt_.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_.step()
        return loss.item()
