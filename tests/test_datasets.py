"""Tests of skSIG.datasets against the distributions the paper names.

The statistical tests use fixed seeds, so they are deterministic; their thresholds are chosen
so that a test would fail for fewer than 1 in 10,000 seeds if the generator were correct
(goodness-of-fit p-values above 1e-4, or means within 4.5 standard errors).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.utils import Bunch

from skSIG import datasets
from skSIG.datasets import (
    fetch_stacked_mnist,
    grid_centers,
    make_gaussian_grid,
    make_gaussian_ring,
    make_negative_binomial,
    make_noisy_ring,
    make_poisson_nb_mixture,
    make_stacked_digits,
    make_uneven_grid,
    ring_centers,
)

ALPHA = 1e-4  # per-test false failure rate for a correct generator and a random seed


def _chisquare_counts(counts, pmf):
    """p-value of the chi-square test of integer data against a pmf on 0, 1, 2, ...

    Values are binned so that each bin expects at least 5 counts; the tail is one bin.
    """
    n = len(counts)
    edges, expected, mass = [], [], 0.0
    k = 0
    while True:
        mass += pmf(k)
        if n * mass >= 5:
            edges.append(k)
            expected.append(mass)
            mass = 0.0
        k += 1
        if n * (1 - sum(expected) - mass) < 5:
            break
    expected[-1] += 1 - sum(expected)
    bins = np.searchsorted(edges, counts, side="left")
    observed = np.bincount(np.minimum(bins, len(edges) - 1), minlength=len(edges))
    return stats.chisquare(observed, n * np.array(expected)).pvalue


def test_negative_binomial_matches_scipy():
    X, theta = make_negative_binomial(100000, r=2, p=0.5, random_state=0)
    assert X.shape == (100000, 1) and X.dtype == np.int64
    nb = stats.nbinom(2, 0.5)
    n = len(X)
    # mean and variance within 4.5 standard errors (fourth moment from scipy's kurtosis)
    mean, var, _, kurt = nb.stats(moments="mvsk")
    assert abs(X.mean() - mean) < 4.5 * np.sqrt(var / n)
    se_var = np.sqrt((kurt + 3 - 1) * var**2 / n)
    assert abs(X.var(ddof=1) - var) < 4.5 * se_var
    assert _chisquare_counts(X.ravel(), nb.pmf) > ALPHA
    # NB(2, 1/2) = int Poisson(theta) Gamma(theta; 2, 1) dtheta: the mixing rates are Gamma(2, 1)
    assert stats.kstest(theta, stats.gamma(2, scale=1).cdf).pvalue > ALPHA


def test_negative_binomial_other_parameters():
    X, theta = make_negative_binomial(50000, r=0.2, p=0.9, random_state=1)
    assert _chisquare_counts(X.ravel(), stats.nbinom(0.2, 0.9).pmf) > ALPHA
    assert stats.kstest(theta, stats.gamma(0.2, scale=1 / 9).cdf).pvalue > ALPHA


def test_poisson_nb_mixture_matches_pmf():
    X, y = make_poisson_nb_mixture(50000, random_state=0)
    assert X.shape == (50000, 1) and X.dtype == np.int64

    def pmf(k):
        return 0.5 * stats.poisson(10).pmf(k) + 0.5 * stats.nbinom(0.2, 0.9).pmf(k)

    assert _chisquare_counts(X.ravel(), pmf) > ALPHA
    assert stats.binomtest(int((y == 0).sum()), len(y), 0.5).pvalue > ALPHA
    assert _chisquare_counts(X[y == 0].ravel(), stats.poisson(10).pmf) > ALPHA


def test_gaussian_grid_components():
    X, y = make_gaussian_grid(25000, std=0.05, random_state=0)
    residual = X - grid_centers()[y]
    # sample std of 50,000 N(0, 0.05^2) residuals: relative SE 1/sqrt(2n) = 0.3%
    assert abs(residual.std() - 0.05) < 4.5 * 0.05 / np.sqrt(2 * residual.size)
    assert stats.chisquare(np.bincount(y, minlength=25)).pvalue > ALPHA


def test_gaussian_grid_stream_unchanged():
    # the equal mixture keeps its original construction (randint, then normals)
    rng = np.random.RandomState(3)
    y = rng.randint(25, size=100)
    expected = grid_centers()[y] + 0.05 * rng.standard_normal((100, 2))
    X, y_got = make_gaussian_grid(100, random_state=3)
    np.testing.assert_array_equal(y_got, y)
    np.testing.assert_allclose(X, expected)


def test_uneven_grid_column_proportions():
    X, y = make_uneven_grid(40000, random_state=0)
    column = y // 5
    # columns 1, 3, 5 (index 0, 2, 4) carry twice the data of columns 2 and 4: 2:1:2:1:2
    expected = np.array([2, 1, 2, 1, 2]) / 8
    observed = np.bincount(column, minlength=5)
    assert stats.chisquare(observed, 40000 * expected).pvalue > ALPHA
    heavy, light = observed[[0, 2, 4]].mean(), observed[[1, 3]].mean()
    assert abs(heavy / light - 2) < 0.1
    # within a column the five components share the mass equally
    assert stats.chisquare(np.bincount(y[column == 0] % 5)).pvalue > ALPHA
    # columns are the first coordinate
    np.testing.assert_allclose(grid_centers()[y][:, 0], 2.0 * (column - 2))
    assert np.abs(X - grid_centers()[y]).max() < 6 * 0.05


def test_gaussian_ring():
    centers = ring_centers(8, radius=2.0)
    np.testing.assert_allclose(np.hypot(*centers.T), 2.0)
    np.testing.assert_allclose(np.linalg.norm(centers - np.roll(centers, 1, axis=0), axis=1),
                               2 * 2.0 * np.sin(np.pi / 8))
    X, y = make_gaussian_ring(16000, std=0.02, random_state=0)
    residual = X - centers[y]
    assert abs(residual.std() - 0.02) < 4.5 * 0.02 / np.sqrt(2 * residual.size)
    assert stats.chisquare(np.bincount(y, minlength=8)).pvalue > ALPHA


def test_noisy_ring():
    X, t = make_noisy_ring(20000, radius=2.0, noise=0.1, random_state=0)
    assert stats.kstest(t / (2 * np.pi), "uniform").pvalue > ALPHA
    residual = X - 2.0 * np.c_[np.cos(t), np.sin(t)]
    assert stats.kstest(residual.ravel() / 0.1, "norm").pvalue > ALPHA


def _digit_lookup():
    digits = load_digits()
    return {(img / 16.0).tobytes(): int(d) for img, d in zip(digits.images, digits.target)}


def test_stacked_digits_channels_are_labelled_digits():
    X, y = make_stacked_digits(300, random_state=0)
    assert X.shape == (300, 192) and X.min() == 0.0 and X.max() == 1.0
    lookup = _digit_lookup()
    images = X.reshape(300, 8, 8, 3)
    for img, label in zip(images, y):
        channel_digits = [lookup[np.ascontiguousarray(img[..., c]).tobytes()] for c in range(3)]
        assert label == 100 * channel_digits[0] + 10 * channel_digits[1] + channel_digits[2]


def test_stacked_digits_cover_1000_modes():
    _, y = make_stacked_digits(20000, random_state=0)
    # 1000 equally likely triples, 20 draws each on average: P(any missing) < 1000 e^-20
    assert len(np.unique(y)) == 1000 and y.min() >= 0 and y.max() <= 999


def test_fetch_stacked_mnist_stacks_offline_data(monkeypatch):
    rng = np.random.default_rng(0)
    fake_images = rng.integers(0, 256, (50, 784)).astype(float)
    fake_labels = np.array([str(i % 10) for i in range(50)], dtype=object)
    calls = {}

    def fake_fetch_openml(name, **kwargs):
        calls["name"], calls["kwargs"] = name, kwargs
        return Bunch(data=fake_images, target=fake_labels)

    monkeypatch.setattr(datasets, "fetch_openml", fake_fetch_openml)
    X, y = fetch_stacked_mnist(40, data_home="/nowhere", random_state=0)
    assert calls["name"] == "mnist_784"
    assert calls["kwargs"]["as_frame"] is False and calls["kwargs"]["data_home"] == "/nowhere"
    assert X.shape == (40, 28 * 28 * 3) and 0 <= X.min() and X.max() <= 1
    lookup = {img.tobytes(): i for i, img in enumerate(fake_images / 255.0)}
    for img, label in zip(X.reshape(40, 28, 28, 3), y):
        idx = [lookup[np.ascontiguousarray(img[..., c]).ravel().tobytes()] for c in range(3)]
        assert label == 100 * (idx[0] % 10) + 10 * (idx[1] % 10) + idx[2] % 10


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: make_gaussian_grid(0), "n_samples"),
        (lambda: make_gaussian_grid(10, std=-1), "std"),
        (lambda: make_uneven_grid(10, column_weights=(1, -1)), "column_weights"),
        (lambda: make_uneven_grid(10, column_weights=(0, 0)), "column_weights"),
        (lambda: make_gaussian_ring(10, n_modes=0), "n_modes"),
        (lambda: make_noisy_ring(10, noise=0), "noise"),
        (lambda: make_negative_binomial(10, p=1.0), "p"),
        (lambda: make_negative_binomial(10, r=0), "r"),
        (lambda: make_poisson_nb_mixture(10, weight=1.5), "weight"),
        (lambda: make_stacked_digits(2.5), "n_samples"),
    ],
)
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


GENERATORS = [
    make_gaussian_grid,
    make_uneven_grid,
    make_gaussian_ring,
    make_noisy_ring,
    make_negative_binomial,
    make_poisson_nb_mixture,
    make_stacked_digits,
]


@settings(max_examples=25, deadline=None)
@given(
    generator=st.sampled_from(GENERATORS),
    n_samples=st.integers(1, 300),
    seed=st.integers(0, 2**31 - 1),
)
def test_generators_shapes_and_seeding(generator, n_samples, seed):
    X, y = generator(n_samples, random_state=seed)
    assert X.ndim == 2 and len(X) == len(y) == n_samples
    assert np.all(np.isfinite(X))
    X2, y2 = generator(n_samples, random_state=seed)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
