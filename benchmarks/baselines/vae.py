"""Variational auto-encoder (Kingma and Welling, 2014) whose decoder is the paper's generator."""

import math

import torch

from ._base import HIDDEN, Baseline


class VAE(Baseline):
    """``q(z | x) = N(mu(x), diag s(x)^2)`` (encoder 2x100), ``p(x | z) = N(G(z), sigma^2 I)``.

    ``sample`` returns the decoder means ``G(z)``, ``z ~ N(0, I)``, as the other models do.

    Parameters
    ----------
    sigma : float or "learn", default="learn"
        Standard deviation of the decoder's Gaussian likelihood. ``"learn"`` fits one scalar
        ``sigma`` with the networks (maximum of the ELBO), starting from 1. On the 25-Gaussian
        grid a fixed ``sigma=0.05`` (the components' std) leaves the encoder's posteriors so
        narrow that prior draws decode between the modes (seed 0: 0 modes, high-quality
        fraction 0.02); the learned ``sigma`` starts coarse and shrinks to about 0.07, which
        found 22-25 modes with high-quality fractions 0.63-0.68 (seeds 0-2, 20,000 steps)
        and, at the 40,000 steps Table 1 gives it, 25/25 modes on seeds 0-4 (high-quality
        0.73, KL 0.64; ``doc/results/table1.md``).
    **kwargs
        Those of :class:`~benchmarks.baselines._base.Baseline`.
    """

    def __init__(self, sigma="learn", **kwargs):
        super().__init__(**kwargs)
        self.sigma = sigma

    def _build(self, n_features):
        self.encoder_ = self._net(n_features, 2 * self.n_latent, HIDDEN)
        learn = isinstance(self.sigma, str)
        if learn and self.sigma != "learn":
            raise ValueError(f"sigma must be a positive float or 'learn', got {self.sigma!r}")
        self.log_sigma_ = torch.zeros(()) if learn else torch.tensor(math.log(self.sigma))
        self.log_sigma_.requires_grad_(learn)
        self.opt_ = self._adam(self.generator_, self.encoder_)
        if learn:
            self.opt_.add_param_group({"params": [self.log_sigma_]})

    def _step(self, x):
        mu, log_var = self.encoder_(x).chunk(2, dim=-1)  # [N, L] each
        z = mu + torch.exp(0.5 * log_var) * self._noise(len(x))
        sq = ((x - self.generator_(z)) ** 2).sum(-1)
        log_sigma = self.log_sigma_
        nll = 0.5 * sq * torch.exp(-2 * log_sigma) + x.shape[1] * (log_sigma + 0.5 * math.log(2 * math.pi))
        kl = 0.5 * (mu**2 + log_var.exp() - 1 - log_var).sum(-1)
        loss = (nll + kl).mean()  # negative ELBO per point
        self.opt_.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_.step()
        return loss.item()
