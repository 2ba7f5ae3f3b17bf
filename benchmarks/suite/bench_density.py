"""asv benchmarks of SemiImplicitDensity's scoring: speed against peers measured in the same run,
peak memory, and float32 accuracy. Ratios (``track_``) are what the issue's targets are about."""

import time

import numpy as np
import torch
from sklearn.neighbors import KernelDensity

from skSIG import SemiImplicitDensity


def _untrained(X, n_eval_samples, sigma=1.0):
    """A model with random weights: scoring cost does not depend on training."""
    return SemiImplicitDensity(sigma=sigma, max_iter=1, M=8, batch_size=8,
                               n_eval_samples=n_eval_samples, random_state=0).fit(X[:64])


def _best_time(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


class ScoreVsKernelDensity:
    """D = 64, N = 20,000, M' = 2,000: skSIG against KernelDensity on the same theta's."""

    timeout = 600

    def setup(self):
        rng = np.random.default_rng(0)
        self.X = rng.normal(size=(20000, 64))
        self.est = _untrained(self.X, 2000)
        theta = self.est._eval_theta(torch.device("cpu")).double().numpy() + self.est.shift_
        self.kde = KernelDensity(bandwidth=1.0).fit(theta)

    def time_sksig_score_samples(self):
        self.est.score_samples(self.X)

    def time_kernel_density_score_samples(self):
        self.kde.score_samples(self.X)

    def track_speedup_vs_kernel_density(self):
        ours = _best_time(lambda: self.est.score_samples(self.X))
        peer = _best_time(lambda: self.kde.score_samples(self.X), repeat=1)
        return peer / ours

    track_speedup_vs_kernel_density.unit = "x"


class ScoreVsMatmul:
    """D = 784, N = 20,000, M' = 5,000: scoring throughput as a fraction of the float32 matmul
    rate of the same shapes (N x D times D x M')."""

    timeout = 600

    def setup(self):
        rng = np.random.default_rng(0)
        self.X = rng.random((20000, 784))
        self.est = _untrained(self.X, 5000, sigma=0.5)
        self.a = torch.rand(20000, 784)
        self.b = torch.rand(784, 5000)

    def time_sksig_score_samples(self):
        self.est.score_samples(self.X)

    def time_float32_matmul(self):
        torch.mm(self.a, self.b)

    def track_fraction_of_matmul_rate(self):
        ours = _best_time(lambda: self.est.score_samples(self.X))
        matmul = _best_time(lambda: torch.mm(self.a, self.b))
        return matmul / ours

    track_fraction_of_matmul_rate.unit = "fraction"


class ScoreMemory:
    """1,000,000 rows scored against M' = 10,000 theta's without building N x M'."""

    timeout = 900

    def setup(self):
        rng = np.random.default_rng(0)
        self.X = rng.normal(size=(1_000_000, 2)).astype(np.float32)
        self.est = _untrained(self.X, 10000)

    def peakmem_score_1m_rows_10k_theta(self):
        self.est.score_samples(self.X)


class Float32FarFromOrigin:
    """Data at 1e4 with unit spread: worst absolute error of the float32 scores against a
    float64 Gaussian KDE over the same theta's."""

    def setup(self):
        rng = np.random.default_rng(0)
        self.X = 1e4 + rng.normal(size=(5000, 8))
        self.est = _untrained(self.X, 2000, sigma=0.5)
        theta = self.est._eval_theta(torch.device("cpu")).double().numpy() + self.est.shift_
        self.ref = KernelDensity(bandwidth=0.5).fit(theta).score_samples(self.X)

    def track_max_abs_error(self):
        return float(np.max(np.abs(self.est.score_samples(self.X) - self.ref)))
