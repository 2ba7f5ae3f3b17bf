"""Data sets of the paper's experiments (section 5)."""

import numpy as np
from sklearn.utils import check_random_state


def grid_centers(n_per_side=5, spacing=2.0):
    """Centres of the square grid of Gaussians: ``(n_per_side**2, 2)``, centred on 0."""
    ticks = spacing * (np.arange(n_per_side) - (n_per_side - 1) / 2)
    return np.array([(a, b) for a in ticks for b in ticks])


def make_gaussian_grid(n_samples=20000, std=0.05, n_per_side=5, spacing=2.0, random_state=None):
    """Equal mixture of Gaussians on the grid ``{-4, -2, 0, 2, 4}^2`` (paper section 5.2).

    Parameters
    ----------
    n_samples : int, default=20000
        Number of points.
    std : float, default=0.05
        Standard deviation of each component.
    n_per_side : int, default=5
        Components per side of the grid.
    spacing : float, default=2.0
        Distance between neighbouring centres.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.
    y : ndarray of shape (n_samples,)
        Index of each point's component in :func:`grid_centers`.

    Examples
    --------
    >>> from skSIG.datasets import make_gaussian_grid
    >>> X, y = make_gaussian_grid(1000, random_state=0)
    >>> X.shape, int(y.max())
    ((1000, 2), 24)
    """
    rng = check_random_state(random_state)
    centers = grid_centers(n_per_side, spacing)
    y = rng.randint(len(centers), size=n_samples)
    return centers[y] + std * rng.standard_normal((n_samples, 2)), y
