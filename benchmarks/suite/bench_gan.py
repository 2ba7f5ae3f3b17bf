"""asv: the cost of the semi-implicit term in a GAN-SI step, against the plain GAN (``lam=0``)
with the same networks, measured in the same run (issue target: overhead below 30% of a step)."""

import time

from skSIG import GANSIEstimator
from skSIG.datasets import make_gaussian_grid, make_stacked_digits

STEPS = 300


def _fit_seconds(est, X):
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        est.fit(X)
        best = min(best, time.perf_counter() - start)
    return best


class SIOverhead:
    timeout = 900
    params = ["mlp-grid", "dcgan-digits"]
    param_names = ["setting"]

    def setup(self, setting):
        if setting == "mlp-grid":
            self.X, _ = make_gaussian_grid(20000, random_state=0)
            self.kw = dict(sigma=0.05)
        else:
            self.X, _ = make_stacked_digits(5000, random_state=0)
            self.kw = dict(sigma=0.1, architecture="dcgan", image_shape=(8, 8, 3), M=256, batch_size=128)

    def _est(self, lam):
        return GANSIEstimator(lam=lam, max_iter=STEPS, random_state=0, **self.kw)

    def time_gan_si_steps(self, setting):
        self._est(1.0).fit(self.X)

    def time_plain_gan_steps(self, setting):
        self._est(0.0).fit(self.X)

    def track_si_overhead(self, setting):
        """``t(GAN-SI) / t(GAN) - 1`` per step."""
        return _fit_seconds(self._est(1.0), self.X) / _fit_seconds(self._est(0.0), self.X) - 1

    track_si_overhead.unit = "fraction"
