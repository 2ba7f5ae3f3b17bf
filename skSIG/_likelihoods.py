"""Explicit likelihoods ``p(x | theta)`` of the semi-implicit generator.

Each likelihood is an exponential family written so that the whole ``N x M`` block of
log-likelihoods is one matrix product (the paper's eq. 6 needs every pair)::

    log p(x_i | theta_j) = x_i . W_j + b_j + c(x_i)

``natural(theta) -> (W, b)`` and ``base(x) -> c`` give the three pieces; the H_M term in
:mod:`skSIG._hm` never needs to know which family it is working with.

Shapes: ``x: (N, D)``, ``theta: (M, D)``, ``W: (M, D)``, ``b: (M,)``, ``c: (N,)``.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F


class Gaussian:
    """``p(x | theta) = N(x; theta, sigma^2 I)``; ``theta`` is the mean."""

    name = "gaussian"
    discrete = False

    def __init__(self, sigma):
        self.sigma = float(sigma)

    def mean(self, theta):
        return theta

    def natural(self, theta):
        var = self.sigma**2
        d = theta.shape[-1]
        W = theta / var
        b = -0.5 * (theta * theta).sum(-1) / var - 0.5 * d * math.log(2 * math.pi * var)
        return W, b

    def base(self, x):
        return -0.5 * (x * x).sum(-1) / self.sigma**2

    def sample(self, theta, generator):
        noise = torch.randn(theta.shape, generator=generator, device=theta.device)
        return theta + self.sigma * noise

    @staticmethod
    def check(X):
        """Any finite real data is valid (finiteness is checked by ``validate_data``)."""


class Poisson:
    """``p(x | theta) = Poisson(x; softplus(theta))`` per feature; ``theta`` is unconstrained."""

    name = "poisson"
    discrete = True

    def mean(self, theta):
        return F.softplus(theta)

    def natural(self, theta):
        rate = F.softplus(theta)
        # log(softplus) underflows for very negative theta; the floor keeps it finite.
        return torch.log(rate.clamp_min(1e-30)), -rate.sum(-1)

    def base(self, x):
        return -torch.lgamma(x + 1).sum(-1)

    def sample(self, theta, generator):
        # torch.poisson takes a generator, so samples follow random_state.
        return torch.poisson(F.softplus(theta), generator=generator)

    @staticmethod
    def inverse_mean(mean):
        mean = np.maximum(mean, 1e-3)
        return mean + np.log(-np.expm1(-mean))  # inverse softplus

    @staticmethod
    def check(X):
        if np.any(X < 0):
            raise ValueError(
                "likelihood='poisson' needs non-negative counts; X has negative values."
            )
        if np.any(X != np.round(X)):
            raise ValueError(
                "likelihood='poisson' needs integer counts; X has non-integer values."
            )


class Bernoulli:
    """``p(x | theta) = Bernoulli(x; sigmoid(theta))`` per feature; ``theta`` is the logit."""

    name = "bernoulli"
    discrete = True

    def mean(self, theta):
        return torch.sigmoid(theta)

    def natural(self, theta):
        return theta, F.logsigmoid(-theta).sum(-1)

    def base(self, x):
        return x.new_zeros(x.shape[:-1])

    def sample(self, theta, generator):
        u = torch.rand(theta.shape, generator=generator, device=theta.device)
        return (u < torch.sigmoid(theta)).to(theta.dtype)

    @staticmethod
    def inverse_mean(mean):
        mean = np.clip(mean, 1e-3, 1 - 1e-3)
        return np.log(mean) - np.log1p(-mean)

    @staticmethod
    def check(X):
        if np.any((X != 0) & (X != 1)):
            raise ValueError(
                "likelihood='bernoulli' needs binary data; X has values outside {0, 1}."
            )


def make_likelihood(name, sigma):
    """Return the likelihood object named ``name`` (``sigma`` is used by the Gaussian)."""
    if name == "gaussian":
        return Gaussian(sigma)
    if name == "poisson":
        return Poisson()
    if name == "bernoulli":
        return Bernoulli()
    raise ValueError(
        f"Unknown likelihood {name!r}; expected 'gaussian', 'poisson' or 'bernoulli'."
    )


def pairwise_log_prob(likelihood, x, theta):
    """All log-likelihoods ``log p(x_i | theta_j)``: ``(N, D), (M, D) -> (N, M)``."""
    W, b = likelihood.natural(theta)
    return torch.addmm(b, x, W.T) + likelihood.base(x)[:, None]  # [N, M]
