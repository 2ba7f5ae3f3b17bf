"""Data sets of the paper's experiments (section 5).

Every generator returns ``(X, y)``: the data and, where it has one, the latent variable a
reader will want to compare a fitted model with (component index, mixing rate, angle, label).
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Union

import numpy as np
from sklearn.datasets import fetch_openml, load_digits
from sklearn.utils import check_random_state

_RandomStateLike = Union[int, np.random.RandomState, None]


def _check_n_samples(n_samples):
    if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")


def _check_positive(name, value):
    if not isinstance(value, Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}.")


def _check_probability(name, value, closed=False):
    ok = isinstance(value, Real) and (0 <= value <= 1 if closed else 0 < value < 1)
    if not ok:
        interval = "[0, 1]" if closed else "(0, 1)"
        raise ValueError(f"{name} must lie in {interval}, got {value!r}.")


def _sample_mixture(centers, weights, std, n_samples, rng):
    """``n_samples`` draws from ``sum_k weights[k] N(centers[k], std^2 I)`` and their ``k``.

    ``weights=None`` is the equal mixture, drawn with ``randint`` as before weights existed so
    that seeded data sets stay identical.
    """
    if weights is None:
        y = rng.randint(len(centers), size=n_samples)
    else:
        y = rng.choice(len(centers), size=n_samples, p=weights)
    return centers[y] + std * rng.standard_normal((n_samples, centers.shape[1])), y


def grid_centers(n_per_side: int = 5, spacing: float = 2.0) -> np.ndarray:
    """Centres of the square grid of Gaussians: ``(n_per_side**2, 2)``, centred on 0.

    Centre ``k`` lies in column ``k // n_per_side`` (its first coordinate) and row
    ``k % n_per_side``.

    Parameters
    ----------
    n_per_side : int, default=5
        Components per side of the grid.
    spacing : float, default=2.0
        Distance between neighbouring centres.

    Returns
    -------
    centers : ndarray of shape (n_per_side**2, 2)
        The centres.

    Examples
    --------
    >>> from skSIG.datasets import grid_centers
    >>> grid_centers(2).tolist()
    [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
    """
    ticks = spacing * (np.arange(n_per_side) - (n_per_side - 1) / 2)
    return np.array([(a, b) for a in ticks for b in ticks])


def ring_centers(n_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """Centres of the ring of Gaussians: ``(n_modes, 2)``, the first one at angle 0.

    Parameters
    ----------
    n_modes : int, default=8
        Number of centres, equally spaced in angle.
    radius : float, default=2.0
        Radius of the circle.

    Returns
    -------
    centers : ndarray of shape (n_modes, 2)
        The centres.

    Examples
    --------
    >>> from skSIG.datasets import ring_centers
    >>> ring_centers(4).round(6).tolist()
    [[2.0, 0.0], [0.0, 2.0], [-2.0, 0.0], [-0.0, -2.0]]
    """
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.c_[np.cos(angles), np.sin(angles)]


def make_gaussian_grid(
    n_samples: int = 20000,
    std: float = 0.05,
    n_per_side: int = 5,
    spacing: float = 2.0,
    random_state: _RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray]:
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

    See Also
    --------
    make_uneven_grid : the same grid with unequal column weights (Fig. 3a).

    Examples
    --------
    >>> from skSIG.datasets import make_gaussian_grid
    >>> X, y = make_gaussian_grid(1000, random_state=0)
    >>> X.shape, int(y.max())
    ((1000, 2), 24)
    """
    _check_n_samples(n_samples)
    _check_positive("std", std)
    centers = grid_centers(n_per_side, spacing)
    return _sample_mixture(centers, None, std, n_samples, check_random_state(random_state))


def make_uneven_grid(
    n_samples: int = 20000,
    std: float = 0.05,
    column_weights=(2, 1, 2, 1, 2),
    spacing: float = 2.0,
    random_state: _RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Grid of Gaussians whose columns carry unequal mass (paper Fig. 3a).

    By default columns 1, 3 and 5 carry twice the data of columns 2 and 4; the components
    within a column share its mass equally.

    Parameters
    ----------
    n_samples : int, default=20000
        Number of points.
    std : float, default=0.05
        Standard deviation of each component.
    column_weights : sequence of float, default=(2, 1, 2, 1, 2)
        Relative mass of each column (first coordinate); its length is the grid's side.
    spacing : float, default=2.0
        Distance between neighbouring centres.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.
    y : ndarray of shape (n_samples,)
        Index of each point's component in ``grid_centers(len(column_weights), spacing)``;
        its column is ``y // len(column_weights)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skSIG.datasets import make_uneven_grid
    >>> X, y = make_uneven_grid(8000, random_state=0)
    >>> np.bincount(y // 5).round(-2).tolist()
    [2000, 1000, 2000, 1000, 2000]
    """
    _check_n_samples(n_samples)
    _check_positive("std", std)
    column_weights = np.asarray(column_weights, dtype=float)
    if column_weights.ndim != 1 or np.any(column_weights < 0) or not column_weights.sum() > 0:
        raise ValueError(
            "column_weights must be a 1-d sequence of non-negative numbers with a positive sum, "
            f"got {column_weights.tolist()!r}."
        )
    side = len(column_weights)
    weights = np.repeat(column_weights / column_weights.sum() / side, side)
    centers = grid_centers(side, spacing)
    return _sample_mixture(centers, weights, std, n_samples, check_random_state(random_state))


def make_gaussian_ring(
    n_samples: int = 20000,
    n_modes: int = 8,
    radius: float = 2.0,
    std: float = 0.1,
    random_state: _RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Equal mixture of Gaussians on a circle (paper Fig. 1 h-j).

    Parameters
    ----------
    n_samples : int, default=20000
        Number of points.
    n_modes : int, default=8
        Number of components.
    radius : float, default=2.0
        Radius of the circle of centres.
    std : float, default=0.1
        Standard deviation of each component; 0.1 is the kernel width of the paper's continuous
        toys. VEEGAN and Unrolled GAN use 0.02.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.
    y : ndarray of shape (n_samples,)
        Index of each point's component in :func:`ring_centers`.

    Examples
    --------
    >>> from skSIG.datasets import make_gaussian_ring
    >>> X, y = make_gaussian_ring(500, random_state=0)
    >>> X.shape, sorted(set(y.tolist())) == list(range(8))
    ((500, 2), True)
    """
    _check_n_samples(n_samples)
    _check_positive("std", std)
    _check_positive("radius", radius)
    if not isinstance(n_modes, Integral) or n_modes < 1:
        raise ValueError(f"n_modes must be a positive integer, got {n_modes!r}.")
    centers = ring_centers(n_modes, radius)
    return _sample_mixture(centers, None, std, n_samples, check_random_state(random_state))


def make_noisy_ring(
    n_samples: int = 20000,
    radius: float = 2.0,
    noise: float = 0.1,
    random_state: _RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform on a circle plus isotropic Gaussian noise (paper Fig. 1 c-e).

    Parameters
    ----------
    n_samples : int, default=20000
        Number of points.
    radius : float, default=2.0
        Radius of the circle.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to each coordinate.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.
    t : ndarray of shape (n_samples,)
        Angle of each point's noiseless position, in ``[0, 2 pi)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skSIG.datasets import make_noisy_ring
    >>> X, t = make_noisy_ring(2000, noise=0.01, random_state=0)
    >>> bool(np.allclose(np.hypot(*X.T), 2.0, atol=0.05))
    True
    """
    _check_n_samples(n_samples)
    _check_positive("radius", radius)
    _check_positive("noise", noise)
    rng = check_random_state(random_state)
    t = rng.uniform(0, 2 * np.pi, n_samples)
    X = radius * np.c_[np.cos(t), np.sin(t)] + noise * rng.standard_normal((n_samples, 2))
    return X, t


def make_negative_binomial(
    n_samples: int = 10000,
    r: float = 2.0,
    p: float = 0.5,
    random_state: _RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Counts from NegativeBinomial(r, p), drawn as its Poisson-Gamma mixture (Fig. 1 a-b).

    ``NB(x; r, p) = int Poisson(x; theta) Gamma(theta; r, (1 - p) / p) dtheta`` (shape and
    scale), so the mixing rates ``theta`` are returned too: a fitted Poisson SIG's
    ``sample_theta`` should recover their Gamma(r, (1 - p) / p) law, Gamma(2, 1) by default.
    The parametrisation is scipy's ``nbinom(r, p)``: mean ``r (1 - p) / p``.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of counts.
    r : float, default=2.0
        Number of successes (any positive real).
    p : float, default=0.5
        Success probability, in (0, 1).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, 1), dtype int64
        The counts, one column.
    theta : ndarray of shape (n_samples,)
        The Gamma mixing rate behind each count.

    Examples
    --------
    >>> from skSIG.datasets import make_negative_binomial
    >>> X, theta = make_negative_binomial(20000, random_state=0)
    >>> X.shape, X.dtype.kind, round(float(X.mean()), 1)
    ((20000, 1), 'i', 2.0)
    """
    _check_n_samples(n_samples)
    _check_positive("r", r)
    _check_probability("p", p)
    rng = check_random_state(random_state)
    theta = rng.gamma(r, (1 - p) / p, n_samples)
    return rng.poisson(theta).astype(np.int64)[:, None], theta


def make_poisson_nb_mixture(
    n_samples: int = 10000,
    rate: float = 10.0,
    r: float = 0.2,
    p: float = 0.9,
    weight: float = 0.5,
    random_state: _RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Counts from ``weight Poisson(rate) + (1 - weight) NegativeBinomial(r, p)`` (Fig. 1 f-g).

    Parameters
    ----------
    n_samples : int, default=10000
        Number of counts.
    rate : float, default=10.0
        Rate of the Poisson component.
    r : float, default=0.2
        Number of successes of the negative binomial component (scipy's ``nbinom(r, p)``).
    p : float, default=0.9
        Success probability of the negative binomial component, in (0, 1).
    weight : float, default=0.5
        Probability of the Poisson component, in [0, 1].
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, 1), dtype int64
        The counts, one column.
    y : ndarray of shape (n_samples,)
        Component of each count: 0 for the Poisson, 1 for the negative binomial.

    Examples
    --------
    >>> from skSIG.datasets import make_poisson_nb_mixture
    >>> X, y = make_poisson_nb_mixture(20000, random_state=0)
    >>> round(float(X[y == 0].mean())), round(float(X[y == 1].mean()), 2)
    (10, 0.02)
    """
    _check_n_samples(n_samples)
    _check_positive("rate", rate)
    _check_positive("r", r)
    _check_probability("p", p)
    _check_probability("weight", weight, closed=True)
    rng = check_random_state(random_state)
    y = (rng.uniform(size=n_samples) >= weight).astype(np.int64)
    poisson = rng.poisson(rate, n_samples)
    nb = rng.poisson(rng.gamma(r, (1 - p) / p, n_samples))
    return np.where(y == 0, poisson, nb).astype(np.int64)[:, None], y


def _stack_digits(images, labels, n_samples, rng):
    """Three random images per row as the (H, W, C) channels; label ``100 d1 + 10 d2 + d3``."""
    idx = rng.randint(len(images), size=(n_samples, 3))
    X = np.moveaxis(images[idx], 1, -1)  # [n, H, W, 3]
    y = labels[idx] @ np.array([100, 10, 1])
    return X.reshape(n_samples, -1), y


def make_stacked_digits(
    n_samples: int = 10000, random_state: _RandomStateLike = None
) -> tuple[np.ndarray, np.ndarray]:
    """Stacked digits: three scikit-learn 8x8 digits as the RGB channels of one image.

    The offline, small counterpart of Stacked MNIST (paper section 5.3): 1000 modes, one per
    digit triple. Images come from :func:`sklearn.datasets.load_digits`, which ships with
    scikit-learn.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of stacked images.
    random_state : int, RandomState instance or None, default=None
        Seed of the choice of the three digits of each image.

    Returns
    -------
    X : ndarray of shape (n_samples, 192)
        Images with values in [0, 1], each flattened from shape (8, 8, 3), i.e.
        ``X.reshape(-1, 8, 8, 3)[..., c]`` is channel ``c``.
    y : ndarray of shape (n_samples,)
        Mode label ``100 * d1 + 10 * d2 + d3`` in ``[0, 999]``, ``d_c`` the digit of channel c.

    See Also
    --------
    fetch_stacked_mnist : the same construction from MNIST (28x28, needs a download).

    Examples
    --------
    >>> from skSIG.datasets import make_stacked_digits
    >>> X, y = make_stacked_digits(100, random_state=0)
    >>> X.shape, float(X.min()), float(X.max()), bool(y.max() < 1000)
    ((100, 192), 0.0, 1.0, True)
    """
    _check_n_samples(n_samples)
    digits = load_digits()
    images = digits.images / 16.0
    return _stack_digits(images, digits.target, n_samples, check_random_state(random_state))


def fetch_stacked_mnist(
    n_samples: int = 50000,
    *,
    data_home: str | None = None,
    download_if_missing: bool = True,
    random_state: _RandomStateLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Stacked MNIST (MNIST-3): three MNIST digits as the RGB channels of one image.

    The data set of the paper's section 5.3, built from OpenML's ``mnist_784`` through
    :func:`sklearn.datasets.fetch_openml` (downloaded once, about 50 MB, then cached in
    ``data_home``).

    Parameters
    ----------
    n_samples : int, default=50000
        Number of stacked images.
    data_home : str or path-like, default=None
        Cache folder of :func:`sklearn.datasets.fetch_openml`.
    download_if_missing : bool, default=True
        If False, raise an error when MNIST is not cached instead of downloading it.
    random_state : int, RandomState instance or None, default=None
        Seed of the choice of the three digits of each image.

    Returns
    -------
    X : ndarray of shape (n_samples, 2352)
        Images with values in [0, 1], each flattened from shape (28, 28, 3).
    y : ndarray of shape (n_samples,)
        Mode label ``100 * d1 + 10 * d2 + d3`` in ``[0, 999]``.

    See Also
    --------
    make_stacked_digits : the offline 8x8 counterpart.

    Examples
    --------
    >>> from skSIG.datasets import fetch_stacked_mnist
    >>> X, y = fetch_stacked_mnist(1000, random_state=0)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (1000, 2352)
    """
    _check_n_samples(n_samples)
    mnist = fetch_openml(
        "mnist_784",
        version=1,
        as_frame=False,
        data_home=data_home,
        download_if_missing=download_if_missing,
    )
    images = np.asarray(mnist.data, dtype=float).reshape(-1, 28, 28) / 255.0
    labels = np.asarray(mnist.target).astype(np.int64)
    return _stack_digits(images, labels, n_samples, check_random_state(random_state))
