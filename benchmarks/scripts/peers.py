"""Peers: SemiImplicitDensity vs scikit-learn's KernelDensity and GaussianMixture.

The table of the asv benchmarks in ``benchmarks/suite/bench_peers.py`` (same data, models and
settings, imported from there), without asv: held-out mean log-likelihood per row (nats;
higher is better) and fit time, on the 25-Gaussian grid (std 0.05) and the 8-Gaussian ring
(std 0.1), 5,000 training and 5,000 held-out points. KDE's bandwidth is chosen by 3-fold
``GridSearchCV`` (its time included); GaussianMixture has 25 components; SemiImplicitDensity
uses ``sigma`` = the component std and ``max_iter=6000`` (``--sig-max-iter``; the estimator's
default is 40,000), and its score is the H_M bound with 2000 theta draws. For reference, the
generating mixture's own mean log-density on the same held-out rows is printed beside them
(no model can expect to beat it).

    python benchmarks/scripts/peers.py             # writes doc/results/peers.*
    python benchmarks/scripts/peers.py --quick     # smoke run (1,000 points, 200 SIG steps)
"""

import numpy as np
from _common import command_line, log, markdown_table, parser, setup, write_csv
from scipy.special import logsumexp

from benchmarks.suite.bench_peers import (DATASETS, MODELS, N_TEST, N_TRAIN, SIG_MAX_ITER,
                                          fit_and_score, load)
from skSIG.datasets import grid_centers, ring_centers

NAMES = {"sig": "SemiImplicitDensity", "kde": "KernelDensity (GridSearchCV)",
         "gmm": "GaussianMixture (25)"}
CENTERS = {"grid": grid_centers, "ring": ring_centers}


def true_loglik(dataset, X):
    """Mean log-density of ``X`` under the generating equal-weight Gaussian mixture."""
    _, std = DATASETS[dataset]
    centers = CENTERS[dataset]()
    sq = ((X[:, None, :] - centers[None]) ** 2).sum(-1)
    d = X.shape[1]
    log_n = -sq / (2 * std**2) - d / 2 * np.log(2 * np.pi * std**2)
    return float(np.mean(logsumexp(log_n, axis=1) - np.log(len(centers))))


def main():
    p = parser(__doc__.split("\n")[0], default_seeds=1)
    p.add_argument("--sig-max-iter", type=int, default=SIG_MAX_ITER,
                   help=f"SemiImplicitDensity steps (default {SIG_MAX_ITER}, as in the asv suite)")
    args = setup(p.parse_args())
    n_train, n_test = (1000, 1000) if args.quick else (N_TRAIN, N_TEST)
    sig_iter = 200 if args.quick else args.sig_max_iter
    runs, table = [], []
    for dataset in DATASETS:
        _, X_test, _ = load(dataset, n_train, n_test)
        truth = true_loglik(dataset, X_test)
        for model in MODELS:
            log(f"{dataset}: fitting {NAMES[model]}")
            ll, seconds, _ = fit_and_score(dataset, model, n_train, n_test, sig_iter)
            log(f"{dataset}: {NAMES[model]}: held-out log-likelihood {ll:.3f} ({seconds:.1f} s)")
            runs.append({"dataset": dataset, "model": model, "heldout_loglik": ll,
                         "true_loglik": truth, "fit_seconds": seconds})
            table.append([dataset, NAMES[model], f"{ll:.3f}", f"{truth:.3f}", f"{seconds:.1f}"])
    write_csv(args.out / "peers.csv", runs)
    text = "\n\n".join([
        "# Peers: held-out log-likelihood and fit time",
        f"{n_train} training and {n_test} held-out points per data set; mean log-likelihood "
        f"per held-out row in nats (higher is better). SemiImplicitDensity: `sigma` = the "
        f"component std, `max_iter={sig_iter}`, score = H_M bound with 2000 theta draws "
        "(biased low). KernelDensity: Gaussian kernel, bandwidth by 3-fold GridSearchCV "
        "(included in the fit time). GaussianMixture: 25 full-covariance components. "
        "'True density': the generating mixture on the same held-out rows. "
        f"{args.threads} torch thread(s).",
        markdown_table(["Data", "Model", "Held-out log-lik / row", "True density",
                        "Fit time (s)"], table),
        *(["**Quick smoke run: too few steps for the numbers to mean anything.**"]
          if args.quick else []),
        f"Command: `{command_line()}`",
    ])
    (args.out / "peers.md").write_text(text + "\n")
    log(f"wrote {args.out / 'peers.md'} and peers.csv")
    print(text)


if __name__ == "__main__":
    main()
