"""asv: the cost of the semi-implicit term in a GAN-SI step, against the plain GAN (``lam=0``)
with the same networks, measured in the same run (issue target: overhead below 30% of a step).

Step times on a shared machine drift by 10-30% from run to run, so ``track_si_overhead`` fits
the two models alternately, three times each, and compares the medians.
"""

import statistics
import time

from skSIG import GANSIEstimator
from skSIG.datasets import make_gaussian_grid, make_stacked_digits

STEPS = {"mlp-grid": 1000, "dcgan-digits": 200}


def _seconds(est, X):
    start = time.perf_counter()
    est.fit(X)
    return time.perf_counter() - start


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
            self.kw = dict(sigma=0.1, architecture="dcgan", image_shape=(8, 8, 3))
        self.kw["max_iter"] = STEPS[setting]

    def _est(self, lam):
        return GANSIEstimator(lam=lam, random_state=0, **self.kw)

    def time_gan_si_steps(self, setting):
        self._est(1.0).fit(self.X)

    def time_plain_gan_steps(self, setting):
        self._est(0.0).fit(self.X)

    def track_si_overhead(self, setting):
        """``t(GAN-SI) / t(GAN) - 1`` per step: medians of three alternating fits each."""
        plain, si = [], []
        for _ in range(3):
            plain.append(_seconds(self._est(0.0), self.X))
            si.append(_seconds(self._est(1.0), self.X))
        return statistics.median(si) / statistics.median(plain) - 1

    track_si_overhead.unit = "fraction"
