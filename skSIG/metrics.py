"""Evaluation metrics of the paper's experiments (section 5)."""

import numpy as np
from scipy.spatial.distance import cdist
from scipy.stats import chi2


def mode_coverage(samples, centers, std, n_std=3.0, min_count=1000):
    """The paper's mode-coverage protocol for mixtures of Gaussians (section 5.2, Table 1).

    A sample is *high quality* when it lies within ``n_std * std`` of some centre; a mode is
    *captured* when more than ``min_count`` high-quality samples are nearest to it. The KL
    divergence ``KL(P_g || P_d)`` compares the proportions of samples per mode plus one
    low-quality bin (``P_g``) with the same (K+1)-bin histogram of the true mixture (``P_d``:
    each mode holds ``chi2.cdf(n_std**2, D) / K``, the low-quality bin the rest, about 0.011
    for 2-D data at 3 std).

    Parameters
    ----------
    samples : array-like of shape (n_samples, n_features)
        Generated samples.
    centers : array-like of shape (n_modes, n_features)
        Mixture centres.
    std : float
        Standard deviation of each mixture component.
    n_std : float, default=3.0
        Radius of the high-quality region in standard deviations.
    min_count : int, default=1000
        A mode with more high-quality samples than this is captured.

    Returns
    -------
    result : dict
        ``modes`` (int), ``high_quality`` (float), ``kl`` (float) and ``counts`` (per mode).

    Examples
    --------
    >>> from skSIG.datasets import grid_centers, make_gaussian_grid
    >>> X, _ = make_gaussian_grid(50000, random_state=0)
    >>> r = mode_coverage(X, grid_centers(), std=0.05)
    >>> r["modes"], round(r["high_quality"], 2)
    (25, 0.99)
    """
    samples, centers = np.asarray(samples, dtype=float), np.asarray(centers, dtype=float)
    dist = cdist(samples, centers)
    nearest = dist.argmin(axis=1)
    good = dist[np.arange(len(samples)), nearest] <= n_std * std
    counts = np.bincount(nearest[good], minlength=len(centers))
    p_g = np.append(counts, (~good).sum()) / len(samples)
    inside = chi2.cdf(n_std**2, samples.shape[1])
    p_d = np.append(np.full(len(centers), inside / len(centers)), 1.0 - inside)
    mask = p_g > 0
    kl = float(np.sum(p_g[mask] * np.log(p_g[mask] / p_d[mask])))
    return {
        "modes": int((counts > min_count).sum()),
        "high_quality": float(good.mean()),
        "kl": kl,
        "counts": counts,
    }
