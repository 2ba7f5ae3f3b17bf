"""asv quality tracking: the paper's Table 1 protocol on the 25-Gaussian grid (one seed per
commit; benchmarks/scripts/table1.py runs all seeds and the baselines).

Each estimator is fitted once per run in ``setup_cache`` with its default training; the
``track_`` benchmarks read modes, high-quality fraction, KL and fit time from it.
"""

import time

from skSIG import SemiImplicitDensity
from skSIG.datasets import grid_centers, make_gaussian_grid
from skSIG.metrics import mode_coverage

SEED = 0


def _estimators():
    yield "sig", SemiImplicitDensity(sigma=0.05, random_state=SEED)
    try:
        from skSIG import GANSIEstimator
    except ImportError:
        return
    yield "gan_si", GANSIEstimator(sigma=0.05, random_state=SEED)
    yield "gan", GANSIEstimator(sigma=0.05, lam=0.0, random_state=SEED)


class GridTable1:
    timeout = 1800
    params = ["sig", "gan_si", "gan"]
    param_names = ["model"]

    def setup_cache(self):
        X, _ = make_gaussian_grid(20000, std=0.05, random_state=SEED)
        results = {}
        for name, est in _estimators():
            start = time.perf_counter()
            est.fit(X)
            elapsed = time.perf_counter() - start
            r = mode_coverage(est.sample(50000, random_state=SEED + 1), grid_centers(), std=0.05)
            results[name] = dict(modes=r["modes"], high_quality=r["high_quality"], kl=r["kl"], fit_seconds=elapsed)
        return results

    def setup(self, results, model):
        if model not in results:
            raise NotImplementedError(f"{model} is not available")

    def track_modes(self, results, model):
        return results[model]["modes"]

    def track_high_quality(self, results, model):
        return results[model]["high_quality"]

    def track_kl(self, results, model):
        return results[model]["kl"]

    def track_fit_seconds(self, results, model):
        return results[model]["fit_seconds"]

    track_modes.unit = "modes"
    track_high_quality.unit = "fraction"
    track_kl.unit = "nats"
    track_fit_seconds.unit = "seconds"
