"""Tests of skSIG.metrics against closed forms and the paper's own Table 1 numbers."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import entropy
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skSIG.datasets import grid_centers, make_gaussian_grid, make_stacked_digits, make_uneven_grid
from skSIG.metrics import StackedDigitsClassifier, image_metrics, inception_score, mode_coverage

CENTERS = grid_centers()
HQ_EXACT = 1 - np.exp(-4.5)  # mass of a 2-D Gaussian within 3 std: chi2(2).cdf(9) = 0.98889


def _paper_like_samples(n_modes, high_quality, n=50000):
    """Samples spread equally over the first ``n_modes`` centres with the rest far away."""
    n_good = int(round(high_quality * n))
    good = CENTERS[np.arange(n_good) % n_modes]
    bad = np.full((n - n_good, 2), 100.0)
    return np.r_[good, bad]


def test_exact_data_scores_as_the_truth():
    X, _ = make_gaussian_grid(50000, std=0.05, random_state=0)
    r = mode_coverage(X, CENTERS, std=0.05)
    assert r["modes"] == 25
    # binomial standard error of the high-quality fraction, 4.5 SE: failure rate < 1e-5
    assert abs(r["high_quality"] - HQ_EXACT) < 4.5 * np.sqrt(HQ_EXACT * (1 - HQ_EXACT) / 50000)
    # the multinomial KL of n samples from P_d has mean (K - 1) / (2 n) = 2.5e-4
    assert 0 <= r["kl"] < 2e-3
    assert r["counts"].sum() == round(r["high_quality"] * 50000)


@pytest.mark.parametrize(
    "n_modes, high_quality, paper_kl",
    [(4, 0.36, 2.87), (25, 0.83, 0.32), (23, 0.82, 0.38)],  # GAN, VAE, VEEGAN columns
)
def test_kl_reproduces_paper_table1(n_modes, high_quality, paper_kl):
    # KL(P_g || P_d) with P_d's low-quality bin at exp(-4.5): the paper's columns reproduce
    p_d_mode, p_d_bad = HQ_EXACT / 25, 1 - HQ_EXACT
    closed_form = high_quality * np.log(high_quality / n_modes / p_d_mode) + (
        1 - high_quality
    ) * np.log((1 - high_quality) / p_d_bad)
    r = mode_coverage(_paper_like_samples(n_modes, high_quality), CENTERS, std=0.05)
    assert r["modes"] == n_modes
    assert r["kl"] == pytest.approx(closed_form, abs=1e-6)  # 23 modes do not split evenly
    # the paper's KL is a mean over seeds whose mode counts vary, hence only close
    assert r["kl"] == pytest.approx(paper_kl, abs=0.1)


def test_all_low_quality_kl_is_minus_log_tail_mass():
    r = mode_coverage(np.full((10, 2), 50.0), CENTERS, std=0.05)
    assert r["modes"] == 0 and r["high_quality"] == 0.0
    assert r["kl"] == pytest.approx(4.5)  # log(1 / exp(-9 / 2))


def test_veegan_variant_counts_modes_with_one_sample():
    X = np.r_[CENTERS[:10], np.repeat(CENTERS[10:11], 1500, axis=0)]
    assert mode_coverage(X, CENTERS, std=0.05)["modes"] == 1  # paper: > 1000 samples
    assert mode_coverage(X, CENTERS, std=0.05, min_count=0)["modes"] == 11
    # a sample just outside 3 std is not high quality and captures nothing
    outside = CENTERS[:1] + [3.01 * 0.05, 0]
    assert mode_coverage(outside, CENTERS, std=0.05, min_count=0)["modes"] == 0


def test_weights_make_uneven_grid_exact():
    X, _ = make_uneven_grid(50000, random_state=0)
    weights = np.repeat(np.array([2, 1, 2, 1, 2]) / 8 / 5, 5)
    weighted = mode_coverage(X, CENTERS, std=0.05, weights=weights)
    assert weighted["kl"] < 2e-3
    # KL(P_g || uniform) - KL(P_g || weighted) = sum_k P_g(k) log(25 w_k), exactly
    uniform = mode_coverage(X, CENTERS, std=0.05)
    shift = np.sum(weighted["counts"] / len(X) * np.log(25 * weights))
    assert uniform["kl"] - weighted["kl"] == pytest.approx(shift, abs=1e-12)
    # ...which is about the KL of the column weights scaled by the inside mass (0.049)
    assert shift == pytest.approx(HQ_EXACT * entropy(weights, np.full(25, 0.04)), abs=0.01)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"samples": np.zeros((3, 3))}, "features"),
        ({"std": 0}, "std"),
        ({"n_std": -1}, "n_std"),
        ({"n_std": np.inf}, "n_std"),
        ({"weights": np.ones(3)}, "weights"),
    ],
)
def test_mode_coverage_bad_arguments(kwargs, match):
    args = {"samples": np.zeros((3, 2)), "centers": CENTERS, "std": 0.05, **kwargs}
    with pytest.raises(ValueError, match=match):
        mode_coverage(**args)


@pytest.mark.parametrize("n_classes", [2, 10, 1000])
def test_perfect_uniform_classifier(n_classes):
    proba = np.eye(n_classes)[np.arange(5 * n_classes) % n_classes]
    r = image_metrics(proba)
    assert r["inception_score"] == pytest.approx(n_classes)
    assert r["exp_h_y"] == pytest.approx(n_classes)
    assert r["exp_h_y_given_x"] == pytest.approx(1.0)
    assert r["high_quality"] == 1.0 and r["modes"] == n_classes
    assert r["kl"] == pytest.approx(0.0, abs=1e-12)
    assert inception_score(proba) == pytest.approx(n_classes)


def test_collapsed_and_uninformative_classifiers():
    collapsed = image_metrics(np.eye(10)[np.zeros(50, dtype=int)])
    assert collapsed["modes"] == 1 and collapsed["inception_score"] == pytest.approx(1.0)
    assert collapsed["kl"] == pytest.approx(np.log(10))
    flat = image_metrics(np.full((50, 10), 0.1))
    assert flat["inception_score"] == pytest.approx(1.0)
    assert flat["exp_h_y_given_x"] == pytest.approx(10.0) and flat["high_quality"] == 0.0
    # the threshold is strict: 0.7 itself is not high quality
    assert image_metrics(np.array([[0.7, 0.3], [0.71, 0.29]]))["high_quality"] == 0.5


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(2, 8)),
           elements=st.floats(0.01, 10.0))
)
def test_inception_score_identities(weights):
    proba = weights / weights.sum(axis=1, keepdims=True)
    r = image_metrics(proba)
    # eq. 13: exp(E KL(p(y|x) || p(y))) = exp(H(y) - E H(y|x)) = exp H(y) / exp E H(y|x)
    direct = np.exp(np.mean([entropy(row, proba.mean(axis=0)) for row in proba]))
    assert r["inception_score"] == pytest.approx(direct, rel=1e-9)
    assert r["inception_score"] == pytest.approx(r["exp_h_y"] / r["exp_h_y_given_x"], rel=1e-9)
    assert 1 - 1e-9 <= r["inception_score"] <= proba.shape[1] + 1e-9
    assert 0 <= r["kl"] <= np.log(proba.shape[1]) + 1e-12
    assert 1 <= r["modes"] <= min(proba.shape)


def test_proba_must_be_distributions():
    with pytest.raises(ValueError, match="proba"):
        image_metrics(np.array([[0.5, 0.6]]))
    with pytest.raises(ValueError, match="threshold"):
        image_metrics(np.eye(3), threshold=1.0)


@pytest.fixture(scope="module")
def stacked_classifier():
    X, y = make_stacked_digits(3000, random_state=0)
    return StackedDigitsClassifier().fit(X, y)


def test_stacked_proba_is_product_of_channel_digits(stacked_classifier):
    X, _ = make_stacked_digits(20, random_state=1)
    proba = stacked_classifier.predict_proba(X)
    assert proba.shape == (20, 1000)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    channels = X.reshape(20, 64, 3)
    cube = proba.reshape(20, 10, 10, 10)  # [n, d1, d2, d3]: label 100 d1 + 10 d2 + d3
    for c, axes in enumerate([(2, 3), (1, 3), (1, 2)]):
        expected = stacked_classifier.estimator_.predict_proba(channels[..., c])
        np.testing.assert_allclose(cube.sum(axis=axes), expected, atol=1e-12)


def test_stacked_classifier_on_real_stacked_digits(stacked_classifier):
    X, y = make_stacked_digits(20000, random_state=1)
    r = image_metrics(stacked_classifier.predict_proba(X))
    assert r["modes"] == 1000 and r["kl"] < 0.05 and r["high_quality"] > 0.95
    assert r["inception_score"] > 800
    assert stacked_classifier.score(X[:2000], y[:2000]) > 0.95


def test_default_digit_classifier_generalises():
    digits = load_digits()
    Xa, Xb, ya, yb = train_test_split(digits.data / 16, digits.target, test_size=0.5,
                                      random_state=0)
    # single digits as one-channel "stacks": the default estimator on unseen digits
    clf = StackedDigitsClassifier(n_channels=1).fit(Xa, ya)
    assert clf.score(Xb, yb) > 0.94


def test_stacked_classifier_bad_input(stacked_classifier):
    X, y = make_stacked_digits(50, random_state=0)
    with pytest.raises(ValueError, match="labels"):
        StackedDigitsClassifier().fit(X, y + 1000)
    with pytest.raises(ValueError, match="multiple"):
        StackedDigitsClassifier().fit(X[:, :100], y)
    with pytest.raises(ValueError, match="digit"):
        StackedDigitsClassifier().fit(X, np.full(50, 111))
    with pytest.raises(ValueError, match="features"):
        stacked_classifier.predict_proba(X[:, :96])
