"""asv benchmarks against scikit-learn peers: held-out log-likelihood and fit time.

Peers on the same data: :class:`sklearn.neighbors.KernelDensity` (Gaussian kernel, bandwidth
chosen by ``GridSearchCV`` over :data:`BANDWIDTHS`, 3-fold), :class:`sklearn.mixture.GaussianMixture`
(``n_components=25``, full covariances) and :class:`skSIG.SemiImplicitDensity` (``sigma`` = the
data's component std, **``max_iter=6000`` instead of the default 40,000** so that an asv run
stays within minutes; the numbers are for that budget, not the estimator's best: at 2000 steps
the grid's held-out log-likelihood was -3.0 nats per row, at 6000 -0.19, 20-30 s per fit on one
core).

Data sets (:data:`DATASETS`): the 25-Gaussian grid (std 0.05) and the 8-Gaussian ring
(std 0.1), 5,000 training and 5,000 held-out points each (independent draws).

The ``track_`` benchmark is the mean log-likelihood per held-out row, in nats, comparable
across the three: ``KernelDensity.score_samples(X).mean()`` (``KernelDensity.score`` is the
*sum*), ``GaussianMixture.score(X)`` (already a per-row mean) and
``SemiImplicitDensity.score(X)``, the per-row mean of the H_M bound
``log 1/M' sum_j N(x; theta_j, sigma^2 I)`` with ``M' = n_eval_samples = 2000`` theta draws
(an estimate of the log-likelihood, biased low by Jensen's inequality). The ``time_``
benchmarks time one fit each (including KDE's grid search). ``benchmarks/scripts/peers.py``
prints the same table without asv.
"""

import time

import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KernelDensity

from skSIG import SemiImplicitDensity
from skSIG.datasets import make_gaussian_grid, make_gaussian_ring

N_TRAIN, N_TEST, SIG_MAX_ITER = 5000, 5000, 6000
BANDWIDTHS = np.geomspace(0.01, 0.5, 8)
DATASETS = {  # name: (maker, component std)
    "grid": (make_gaussian_grid, 0.05),
    "ring": (make_gaussian_ring, 0.1),
}
MODELS = ["sig", "kde", "gmm"]


def load(dataset, n_train=N_TRAIN, n_test=N_TEST):
    """Independent training and held-out draws of ``dataset`` and its component std."""
    maker, std = DATASETS[dataset]
    X_train, _ = maker(n_train, std=std, random_state=0)
    X_test, _ = maker(n_test, std=std, random_state=1)
    return X_train, X_test, std


def make_model(model, std, sig_max_iter=SIG_MAX_ITER):
    if model == "sig":
        return SemiImplicitDensity(sigma=std, max_iter=sig_max_iter, random_state=0)
    if model == "kde":
        return GridSearchCV(KernelDensity(kernel="gaussian"), {"bandwidth": BANDWIDTHS}, cv=3)
    if model == "gmm":
        return GaussianMixture(n_components=25, random_state=0)
    raise ValueError(f"unknown model {model!r}")


def mean_loglik(fitted, X):
    """Mean log-likelihood per row of ``X`` (nats), the same quantity for every model."""
    est = fitted.best_estimator_ if isinstance(fitted, GridSearchCV) else fitted
    return float(np.mean(est.score_samples(X)))


def fit_and_score(dataset, model, n_train=N_TRAIN, n_test=N_TEST, sig_max_iter=SIG_MAX_ITER):
    """Fit ``model`` on ``dataset``: held-out mean log-likelihood, fit seconds, fitted model."""
    X_train, X_test, std = load(dataset, n_train, n_test)
    est = make_model(model, std, sig_max_iter)
    start = time.perf_counter()
    est.fit(X_train)
    seconds = time.perf_counter() - start
    return mean_loglik(est, X_test), seconds, est


class HeldOutLogLikelihood:
    """Mean held-out log-likelihood per row (nats; higher is better), all fits done once."""

    timeout = 1800
    params = (list(DATASETS), MODELS)
    param_names = ["dataset", "model"]

    def setup_cache(self):
        import torch

        torch.set_num_threads(1)
        return {(d, m): fit_and_score(d, m)[:2] for d in DATASETS for m in MODELS}

    def track_heldout_loglik_per_row(self, cache, dataset, model):
        return cache[(dataset, model)][0]

    track_heldout_loglik_per_row.unit = "nats"

    def track_fit_seconds(self, cache, dataset, model):
        return cache[(dataset, model)][1]

    track_fit_seconds.unit = "seconds"


class FitTime:
    """Time of one fit (KDE: its bandwidth grid search; SIG: ``max_iter=6000``)."""

    timeout = 600
    params = (list(DATASETS), MODELS)
    param_names = ["dataset", "model"]
    number = 1
    repeat = 1
    rounds = 1
    warmup_time = 0

    def setup(self, dataset, model):
        import torch

        torch.set_num_threads(1)
        self.X, _, std = load(dataset)
        self.est = make_model(model, std)

    def time_fit(self, dataset, model):
        self.est.fit(self.X)
