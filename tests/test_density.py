"""SemiImplicitDensity: the sklearn contract, the paper's identities and the error surface."""

import io
import math
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skSIG import SemiImplicitDensity
from skSIG.datasets import make_gaussian_grid

FAST = dict(M=64, batch_size=64, max_iter=20, n_eval_samples=256, hidden_layer_sizes=(32, 32))


def fast(**kw):
    return SemiImplicitDensity(**{**FAST, "random_state": 0, **kw})


@parametrize_with_checks([SemiImplicitDensity(**{**FAST, "max_iter": 5})])
def test_sklearn_contract(estimator, check):
    check(estimator)


# ---------------------------------------------------------------- paper identities
def test_gaussian_score_is_kernel_density_over_theta(bimodal):
    """With the theta's fixed, score_samples is a Gaussian KDE with bandwidth sigma."""
    est = fast(sigma=0.4).fit(bimodal)
    theta = est._eval_theta(torch.device("cpu")).double().numpy() + est.shift_
    kde = KernelDensity(bandwidth=0.4, kernel="gaussian").fit(theta)
    X = np.r_[bimodal[:20], [[0.0, 0.0], [5.0, -5.0]]]
    np.testing.assert_allclose(est.score_samples(X), kde.score_samples(X), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("spread", [1e2, 1e3, 1e4])
def test_score_is_exact_for_sigma_far_below_the_spread(spread):
    """With sigma 1e-3 .. 1e-5 of the data's spread, float32 would round the logits' terms
    by whole nats (up to 67 measured); score_samples switches to float64 and stays the KDE."""
    X = np.random.default_rng(0).normal(size=(60, 2)) * spread
    est = SemiImplicitDensity(M=32, batch_size=16, max_iter=10, n_eval_samples=64, hidden_layer_sizes=(8,),
                              sigma=0.1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the fit's own float32 warning (tested below)
        est.fit(X)
    theta = est._eval_theta(torch.device("cpu")).double().numpy() + est.shift_
    rows = np.r_[theta[:8], X[:8]]
    ref = KernelDensity(bandwidth=0.1).fit(theta).score_samples(rows)
    np.testing.assert_allclose(est.score_samples(rows), ref, rtol=1e-9, atol=1e-6)


def test_sigma_far_below_the_spread_warns_at_fit():
    X = np.random.default_rng(0).normal(size=(60, 2))
    kw = dict(M=32, batch_size=16, max_iter=5, hidden_layer_sizes=(8,), random_state=0)
    with pytest.warns(UserWarning, match="Standardise the features") as record:
        SemiImplicitDensity(sigma=1e-4, **kw).fit(X)
    assert record[0].filename == __file__  # points at the caller of fit
    with pytest.warns(UserWarning, match="Standardise the features") as record:
        SemiImplicitDensity(sigma=1e-4, **kw).partial_fit(X)
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SemiImplicitDensity(sigma=1e-3, **kw).fit(X)
        SemiImplicitDensity(sigma=0.05, **kw).fit(make_gaussian_grid(500, std=0.05, random_state=0)[0])


def test_scoring_stays_float32_where_float32_is_exact_enough():
    """The 25-Gaussian grid at its sigma and unit-scale data keep the float32 path."""
    from skSIG._hm import scoring_dtype
    from skSIG._likelihoods import Gaussian, Poisson

    grid = torch.tensor(make_gaussian_grid(2000, std=0.05, random_state=0)[0], dtype=torch.float32)
    assert scoring_dtype(Gaussian(0.05), grid) == torch.float32
    assert scoring_dtype(Gaussian(1e-3), grid) == torch.float64
    assert scoring_dtype(Poisson(), torch.full((4, 3), 5.0)) == torch.float32
    assert scoring_dtype(Poisson(), torch.full((4, 3), 1e6)) == torch.float64


def test_lemma1_mean_score_rises_with_eval_samples(bimodal):
    """E[H_M] falls with M (Lemma 1), so the expected mean score rises with M'.

    Averaged over 40 independent theta sets the gaps between M' = 1, 4, 16, 64 are many
    standard errors wide; a false failure needs a > 5 sigma fluctuation (rate < 1e-6).
    """
    est = fast(sigma=0.5).fit(bimodal)
    means, errors = [], []
    for m in (1, 4, 16, 64):
        values = []
        for r in range(40):
            est._seed = 1000 + r  # a fresh, independent theta set for score_samples
            values.append(est.set_params(n_eval_samples=m).score(bimodal))
        means.append(np.mean(values))
        errors.append(np.std(values) / math.sqrt(len(values)))
    for a, b, ea, eb in zip(means, means[1:], errors, errors[1:]):
        assert b - a > 5 * math.hypot(ea, eb) or b > a + 0.05


def test_fitted_model_finds_both_modes(bimodal):
    est = SemiImplicitDensity(sigma=0.3, M=256, max_iter=600, random_state=0).fit(bimodal)
    samples = est.sample(2000, random_state=1)
    left = (samples[:, 0] < 0).mean()
    assert 0.35 < left < 0.65
    assert est.score(bimodal) > est.score(bimodal + 3.0) + 5
    assert np.mean(np.abs(np.abs(samples) - 2) < 1.2) > 0.9  # little mass between the modes


def test_scores_do_not_depend_on_other_rows(bimodal):
    est = fast().fit(bimodal)
    full = est.score_samples(bimodal)
    singles = np.array([est.score_samples(bimodal[i : i + 1])[0] for i in range(0, 300, 37)])
    np.testing.assert_array_equal(full[::37], singles)  # to the last bit, in float32
    np.testing.assert_array_equal(est.score_samples(bimodal[::-1])[::-1], full)


def test_scores_are_comparable_across_training_M(bimodal):
    """score_samples uses n_eval_samples theta's whatever M was used in training."""
    a, b = fast(M=8).fit(bimodal), fast(M=128).fit(bimodal)
    assert a._eval_theta(torch.device("cpu")).shape == b._eval_theta(torch.device("cpu")).shape


def test_float32_exact_far_from_origin():
    """Data at 1e4 with unit spread: scores agree with a float64 KDE reference to 1e-3."""
    rng = np.random.default_rng(0)
    X = 1e4 + rng.normal(size=(300, 3))
    est = fast(sigma=0.5).fit(X)
    theta = est._eval_theta(torch.device("cpu")).double().numpy() + est.shift_
    ref = KernelDensity(bandwidth=0.5).fit(theta).score_samples(X)
    np.testing.assert_allclose(est.score_samples(X), ref, atol=1e-3, rtol=0)
    assert np.abs(est.sample(100, random_state=0).mean(axis=0) - 1e4).max() < 1.0


# ---------------------------------------------------------------- likelihoods
def test_poisson_fit_sample_score():
    rng = np.random.default_rng(0)
    X = rng.negative_binomial(2, 0.5, size=(400, 1))
    est = fast(likelihood="poisson", max_iter=200).fit(X)
    s = est.sample(500, random_state=0)
    assert s.dtype == np.int64 and (s >= 0).all()
    assert abs(s.mean() - X.mean()) < 0.5
    assert (est.sample_theta(50) > 0).all()
    assert np.isfinite(est.score_samples(X)).all()


def test_bernoulli_fit_sample_score():
    rng = np.random.default_rng(0)
    X = (rng.random((300, 5)) < [0.1, 0.9, 0.5, 0.2, 0.7]).astype(int)
    est = fast(likelihood="bernoulli", max_iter=200).fit(X)
    s = est.sample(2000, random_state=0)
    assert set(np.unique(s)) <= {0, 1}
    np.testing.assert_allclose(s.mean(axis=0), X.mean(axis=0), atol=0.08)
    p = est.sample_theta(20)
    assert ((p > 0) & (p < 1)).all()


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "X, kw, match",
    [
        ([[np.nan, 1.0]], {}, "NaN"),
        ([[np.inf, 1.0]], {}, "infinity"),
        (np.empty((0, 2)), {}, "0 sample"),
        ([[-1.0], [2.0]], {"likelihood": "poisson"}, "non-negative"),
        ([[0.5], [2.0]], {"likelihood": "poisson"}, "integer"),
        ([[0.0], [0.5]], {"likelihood": "bernoulli"}, r"\{0, 1\}"),
        ([[0.0], [1.0]], {"likelihood": "cauchy"}, "likelihood"),
        ([[0.0], [1.0]], {"sigma": 0.0}, "sigma"),
        ([[0.0], [1.0]], {"sigma": -1.0}, "sigma"),
        ([[0.0], [1.0]], {"M": 0}, "'M'"),
        ([[0.0], [1.0]], {"hidden_layer_sizes": (10, 0)}, "hidden_layer_sizes"),
        ([[0.0], [1.0]], {"device": "tpu:banana"}, "device"),
    ],
)
def test_bad_input_raises_value_error(X, kw, match):
    with pytest.raises(ValueError, match=match):
        fast(**kw).fit(X)


def test_wrong_features_and_bad_values_at_score_time(bimodal):
    est = fast().fit(bimodal)
    with pytest.raises(ValueError, match="features"):
        est.score_samples(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="NaN"):
        est.score_samples([[np.nan, 0.0]])
    counts = fast(likelihood="poisson").fit([[1], [3]])
    with pytest.raises(ValueError, match="non-negative"):
        counts.score_samples([[-2]])


@pytest.mark.parametrize("method", ["sample", "sample_theta", "score_samples", "score"])
def test_not_fitted(method, bimodal):
    with pytest.raises(NotFittedError):
        getattr(SemiImplicitDensity(), method)(*((bimodal,) if "score" in method else ()))


def test_divergence_is_reported(bimodal):
    with pytest.raises(FloatingPointError, match="diverged"):
        fast(learning_rate=1e30, max_iter=100).fit(bimodal)


def test_runaway_generator_is_reported_with_finite_losses():
    """learning_rate=1e3 throws the generator ~1e8 spreads away while every loss stays finite:
    the check on the generator's outputs, not the one on the losses, must say so."""
    X = np.random.default_rng(0).normal(size=(60, 2))
    est = SemiImplicitDensity(M=32, batch_size=16, max_iter=50, hidden_layer_sizes=(8,), learning_rate=1e3,
                              random_state=0)
    with pytest.raises(FloatingPointError, match=r"after step \d+ the median generated sample lies"):
        est.fit(X)
    # The same fit, stopped just before the check, has finite losses and runaway samples.
    from skSIG import _base
    monkey = pytest.MonkeyPatch()
    monkey.setattr(_base, "_DIVERGED_SPREADS", float("inf"))
    try:
        est.fit(X)
    finally:
        monkey.undo()
    assert np.isfinite(est.loss_curve_).all()
    assert np.median(np.abs(est.sample_theta(256))) > 1e3


@pytest.mark.parametrize("fit", ["fit", "warm fit", "partial_fit"])
def test_failed_fit_leaves_the_estimator_as_before(fit, bimodal):
    est = fast(warm_start=fit == "warm fit").fit(bimodal)
    before = (est.n_iter_, list(est.loss_curve_), est.sample(20), est.score_samples(bimodal))
    est.set_params(learning_rate=1e30, max_iter=100)
    with pytest.raises(FloatingPointError, match="left as it was before this call"):
        est.partial_fit(bimodal) if fit == "partial_fit" else est.fit(bimodal)
    assert est.learning_rate == 1e30  # parameters stay as the user set them
    after = (est.n_iter_, list(est.loss_curve_), est.sample(20), est.score_samples(bimodal))
    assert before[:2] == after[:2]
    np.testing.assert_array_equal(before[2], after[2])
    np.testing.assert_array_equal(before[3], after[3])
    # The optimiser's state is back too: training on continues exactly as if the call had not been.
    twin = fast(warm_start=fit == "warm fit").fit(bimodal)
    for e in (est, twin):
        e.set_params(learning_rate=1.5e-3, max_iter=3).partial_fit(bimodal)
    np.testing.assert_array_equal(est.sample(20), twin.sample(20))


def test_failed_first_fit_leaves_the_estimator_unfitted(bimodal):
    est = fast(sigma=1e-30)
    with pytest.raises(FloatingPointError, match="raise sigma"), pytest.warns(UserWarning, match="tiny"):
        est.fit(bimodal)
    assert not hasattr(est, "n_features_in_")
    with pytest.raises(NotFittedError):
        est.sample(3)


@pytest.mark.parametrize(
    "change", [dict(n_latent=3), dict(hidden_layer_sizes=(16,)), dict(likelihood="poisson")]
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_continuing_after_a_structural_change_is_an_error(change, method, bimodal):
    counts = np.round(np.abs(bimodal))
    est = fast(warm_start=True).fit(counts)
    est.set_params(**change)
    with pytest.raises(ValueError, match=f"after {next(iter(change))} \\(built with"):
        getattr(est, method)(counts)
    # Equal values given as other types are no change; warm_start=False refits from scratch.
    fast(warm_start=True, hidden_layer_sizes=[32, 32]).fit(counts).set_params(hidden_layer_sizes=(32, 32)).fit(counts)
    assert est.set_params(warm_start=False).fit(counts).n_iter_ == FAST["max_iter"]


def test_partial_fit_validates_params_on_every_call(bimodal):
    est = fast().partial_fit(bimodal)
    with pytest.raises(ValueError, match="'M' parameter"):
        est.set_params(M=-3).partial_fit(bimodal)


@pytest.mark.parametrize("n_samples", [-1, 2.0, True, "3", None])
@pytest.mark.parametrize("method", ["sample", "sample_theta"])
def test_bad_n_samples(method, n_samples, bimodal):
    est = fast(max_iter=2).fit(bimodal)
    with pytest.raises(ValueError, match="n_samples must be a non-negative integer"):
        getattr(est, method)(n_samples)
    assert getattr(est, method)(np.int64(0)).shape == (0, 2)


@pytest.mark.parametrize("device", ["mps", "meta", "tpu", 3.5])
def test_unsupported_devices_are_value_errors(device, bimodal):
    with pytest.raises(ValueError, match="device"):
        fast(device=device).fit(bimodal)


def test_torch_device_object_is_accepted(bimodal):
    a = fast(device=torch.device("cpu")).fit(bimodal)
    np.testing.assert_array_equal(a.sample(10), fast(device="cpu").fit(bimodal).sample(10))


@pytest.mark.parametrize("sizes", [[[4, 4]], (True, 4), (4, 2.5), (4, -1)])
def test_bad_hidden_layer_sizes(sizes, bimodal):
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        fast(hidden_layer_sizes=sizes).fit(bimodal)


# ---------------------------------------------------------------- reproducibility, persistence
def test_same_random_state_is_bit_identical(bimodal):
    a, b = fast().fit(bimodal), fast().fit(bimodal)
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.sample(50), b.sample(50))
    np.testing.assert_array_equal(a.score_samples(bimodal), b.score_samples(bimodal))
    c = fast(random_state=1).fit(bimodal)
    assert not np.array_equal(a.sample(50), c.sample(50))


def test_sample_random_state_overrides(bimodal):
    est = fast().fit(bimodal)
    np.testing.assert_array_equal(est.sample(5, random_state=3), est.sample(5, random_state=3))
    assert not np.array_equal(est.sample(5, random_state=3), est.sample(5, random_state=4))


@pytest.mark.parametrize("architecture", [None, "mlp", "dcgan"])
def test_torch_global_random_state_is_untouched(architecture):
    """The docstrings promise that torch's global generator is neither used nor changed."""
    from skSIG import GANSIEstimator

    X = np.random.default_rng(0).random((40, 48))
    if architecture is None:
        est = fast()
    else:
        est = GANSIEstimator(M=8, batch_size=8, max_iter=3, n_eval_samples=16, architecture=architecture,
                             image_shape=(4, 4, 3), random_state=0)
    before = torch.random.get_rng_state()
    est.fit(X).sample(5)
    est.score_samples(X[:3])
    assert torch.equal(torch.random.get_rng_state(), before)


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_persistence_round_trip(dump, bimodal):
    est = fast().fit(bimodal)
    buf = io.BytesIO()
    (pickle.dump if dump == "pickle" else joblib.dump)(est, buf)
    buf.seek(0)
    loaded = (pickle.load if dump == "pickle" else joblib.load)(buf)
    np.testing.assert_array_equal(loaded.score_samples(bimodal), est.score_samples(bimodal))
    np.testing.assert_array_equal(loaded.sample(20), est.sample(20))
    loaded.set_params(warm_start=True, max_iter=3).fit(bimodal)  # optimizer state survives
    assert loaded.n_iter_ == est.n_iter_ + 3


def test_warm_start_and_partial_fit(bimodal):
    est = fast(warm_start=True).fit(bimodal)
    est.fit(bimodal)
    assert est.n_iter_ == 40 and len(est.loss_curve_) == 40
    stream = fast(batch_size=100)
    for chunk in np.array_split(bimodal, 3):
        stream.partial_fit(chunk)
    assert stream.n_iter_ == 3 and len(stream.loss_curve_) == 3
    assert stream.partial_fit(bimodal).n_iter_ == 6


def test_partial_fit_learns(bimodal):
    est = SemiImplicitDensity(sigma=0.3, M=128, batch_size=64, max_iter=300, random_state=0)
    est.partial_fit(bimodal)
    before = est.score(bimodal)
    for _ in range(60):
        est.partial_fit(bimodal)
    assert est.score(bimodal) > before + 0.5


def test_partial_fit_validates_params():
    with pytest.raises(ValueError, match="sigma"):
        fast(sigma=-1).partial_fit([[0.0], [1.0]])


# ---------------------------------------------------------------- sklearn integration
def test_dataframe_keeps_feature_names(bimodal):
    df = pd.DataFrame(bimodal, columns=["a", "b"])
    est = fast().fit(df)
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b"])
    np.testing.assert_array_equal(est.score_samples(df), est.score_samples(df.copy()))
    with pytest.raises(ValueError, match="feature names"):
        est.score_samples(df.rename(columns={"a": "z"}))
    with pytest.warns(UserWarning, match="valid feature names"):
        est.score_samples(bimodal)


def test_grid_search_over_M_and_sigma_prefers_sensible_sigma(bimodal):
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(fast(max_iter=300), {"M": [16, 64], "sigma": [0.05, 0.3, 3.0]}, cv=cv)
    search.fit(bimodal)
    assert search.best_params_["sigma"] == 0.3
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_pipeline_and_cross_validation(bimodal):
    pipe = make_pipeline(StandardScaler(), fast(sigma=0.2))
    scores = cross_val_score(pipe, bimodal, cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()
    assert clone(pipe).get_params()["semiimplicitdensity__sigma"] == 0.2


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 40), d=st.integers(1, 3), n_out=st.integers(1, 30), seed=st.integers(0, 99))
def test_shapes_and_dtypes_property(n, d, n_out, seed):
    X = np.random.default_rng(seed).normal(size=(n, d))
    est = SemiImplicitDensity(M=8, batch_size=8, max_iter=2, n_eval_samples=16,
                              hidden_layer_sizes=(8,), random_state=seed).fit(X)
    assert est.sample(n_out).shape == (n_out, d) and est.sample(n_out).dtype == np.float64
    scores = est.score_samples(X)
    assert scores.shape == (n,) and scores.dtype == np.float64 and np.isfinite(scores).all()
    np.testing.assert_allclose(est.score_samples(X.astype(np.float32)), scores, rtol=1e-5, atol=1e-4)


def test_pickle_of_a_gpu_model_copies_it_to_the_cpu(bimodal, monkeypatch):
    """The path a CUDA-fitted model pickles through, run on the CPU: a deep copy moved to the
    CPU is pickled (it once recursed forever), the fitted model stays as it was, and the loaded
    one scores the same and trains on with its optimizer state."""
    est = fast(random_state=0).fit(bimodal)
    monkeypatch.setattr(SemiImplicitDensity, "_on_cuda", lambda self: True)
    blob = pickle.dumps(est)
    loaded = pickle.loads(blob)
    assert loaded.transform_ is not est.transform_
    # the fitted model keeps its own parameters and optimizer, as they were
    assert {id(p) for p in est.transform_.parameters()} == {
        id(p) for group in est.optimizer_.param_groups for p in group["params"]}
    np.testing.assert_array_equal(loaded.score_samples(bimodal), est.score_samples(bimodal))
    # the optimizer of the loaded model points at the loaded model's parameters
    assert {id(p) for p in loaded.transform_.parameters()} == {
        id(p) for group in loaded.optimizer_.param_groups for p in group["params"]}
    before = [p.detach().clone() for p in loaded.transform_.parameters()]
    loaded.partial_fit(bimodal)
    assert any(not torch.equal(a, b) for a, b in zip(before, loaded.transform_.parameters()))


# ---------------------------------------------------------------- GPU
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@cuda
def test_cuda_fit_loads_on_cpu(bimodal, monkeypatch):
    est = fast(device="cuda").fit(bimodal)
    assert next(est.transform_.parameters()).is_cuda
    expected = est.score_samples(bimodal)
    blob = pickle.dumps(est)
    assert next(est.transform_.parameters()).is_cuda  # pickling leaves the fitted model alone
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = pickle.loads(blob)
    assert not next(loaded.transform_.parameters()).is_cuda
    loaded.set_params(device="auto")
    np.testing.assert_allclose(loaded.score_samples(bimodal), expected, rtol=1e-4)


@cuda
def test_auto_device_uses_cuda(bimodal):
    est = fast().fit(bimodal)
    assert next(est.transform_.parameters()).is_cuda
