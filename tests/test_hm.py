"""The H_M primitives against independent float64 references (scipy, plain torch autograd)."""

import contextlib
import itertools
import math
import os
from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import logsumexp

from skSIG import _hm
from skSIG._hm import _THIN_GRAD_MAX_D, gaussian_hm_and_grad, hm_bound, log_mean_prob
from skSIG._likelihoods import Bernoulli, Gaussian, Poisson, make_likelihood, pairwise_log_prob


def _reference_logp(name, x, theta, sigma):
    """log p(x_i | theta_j) from scipy.stats, float64: (N, D), (M, D) -> (N, M)."""
    x, theta = x[:, None, :], theta[None, :, :]
    if name == "gaussian":
        lp = stats.norm.logpdf(x, loc=theta, scale=sigma)
    elif name == "poisson":
        lp = stats.poisson.logpmf(x, np.logaddexp(0, theta))
    else:
        lp = stats.bernoulli.logpmf(x, 1 / (1 + np.exp(-theta)))
    return lp.sum(-1)


def _data(name, rng, n, d):
    if name == "gaussian":
        return rng.normal(size=(n, d))
    if name == "poisson":
        return rng.poisson(3.0, size=(n, d)).astype(float)
    return rng.integers(0, 2, size=(n, d)).astype(float)


@pytest.mark.parametrize("name", ["gaussian", "poisson", "bernoulli"])
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 7), m=st.integers(1, 9), d=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_pairwise_log_prob_matches_scipy(name, n, m, d, seed):
    rng = np.random.default_rng(seed)
    x, theta = _data(name, rng, n, d), rng.normal(size=(m, d))
    lik = make_likelihood(name, 0.7)
    got = pairwise_log_prob(lik, torch.tensor(x), torch.tensor(theta)).numpy()
    np.testing.assert_allclose(got, _reference_logp(name, x, theta, 0.7), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["gaussian", "poisson", "bernoulli"])
@pytest.mark.parametrize("block", [1, 7, 10**6])
def test_log_mean_prob_matches_scipy_for_any_block(name, block):
    rng = np.random.default_rng(1)
    x, theta = _data(name, rng, 23, 3), rng.normal(size=(11, 3))
    lik = make_likelihood(name, 0.3)
    got = log_mean_prob(lik, torch.tensor(x), torch.tensor(theta), block_elements=block).numpy()
    want = logsumexp(_reference_logp(name, x, theta, 0.3), axis=1) - math.log(11)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_log_mean_prob_is_finite_far_from_every_theta():
    """All terms far below exp's range: the max shift keeps the result exact, not -inf."""
    x = torch.tensor([[100.0, -50.0]], dtype=torch.float64)
    theta = torch.zeros(5, 2, dtype=torch.float64)
    got = log_mean_prob(Gaussian(0.01), x, theta).item()
    want = stats.norm.logpdf([100.0, -50.0], scale=0.01).sum()
    assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("d", [3, 12], ids=["thin", "wide"])  # both forward paths (_ELEMENTWISE_MAX_D)
@pytest.mark.parametrize("lik", [Gaussian(0.5), Poisson(), Bernoulli()], ids=lambda l: l.name)
def test_hm_bound_value_and_gradient_match_naive_autograd(lik, d):
    rng = np.random.default_rng(2)
    x = torch.tensor(_data(lik.name, rng, 9, d))
    theta = torch.tensor(rng.normal(size=(6, d)), requires_grad=True)
    _assert_matches_naive(lik, x, theta, hm_bound(lik, x, theta))


def _assert_matches_naive(lik, x, theta, loss):
    """``loss`` (H_M of x and theta) and its gradient equal plain autograd's log-sum-exp."""
    (grad,) = torch.autograd.grad(loss, theta)
    theta_ref = theta.detach().clone().requires_grad_(True)
    naive = -(torch.logsumexp(pairwise_log_prob(lik, x, theta_ref), dim=1) - math.log(len(theta))).mean()
    (grad_ref,) = torch.autograd.grad(naive, theta_ref)
    assert loss.item() == pytest.approx(naive.item(), rel=1e-12)
    torch.testing.assert_close(grad, grad_ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("d", [2, 9])
def test_hm_bound_gradcheck(d):
    x = torch.randn(5, d, dtype=torch.float64)
    theta = torch.randn(4, d, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: hm_bound(Gaussian(0.8), x, t), (theta,))


@settings(max_examples=30, deadline=None)
@given(k=st.integers(2, 7), seed=st.integers(0, 2**16))
def test_lemma1_subset_average_bounds_full_set(k, seed):
    """Lemma 1's proof step: for fixed theta_1..K, H_K <= mean over all M-subsets of H_M."""
    rng = np.random.default_rng(seed)
    x, theta = torch.tensor(rng.normal(size=(8, 2))), torch.tensor(rng.normal(size=(k, 2)) * 2)
    lik = Gaussian(0.4)
    bounds = [hm_bound(lik, x, theta).item()]
    for m in range(k - 1, 0, -1):
        subsets = itertools.combinations(range(k), m)
        bounds.append(np.mean([hm_bound(lik, x, theta[list(s)]).item() for s in subsets]))
    assert all(a <= b + 1e-12 for a, b in zip(bounds, bounds[1:]))


@pytest.mark.parametrize("d", [2, 12], ids=["elementwise", "matmul"])
def test_hm_bound_with_reused_buffer_matches_naive(d):
    """Both ways of building the logits (D <= 6 element-wise, else a matmul), with a block
    buffer reused across steps as the training loop does, give the naive value and gradient."""
    rng = np.random.default_rng(d)
    lik = Gaussian(0.7)
    buffer = torch.empty(9, 6, dtype=torch.float64)
    for _ in range(2):  # the second call overwrites the block the first one's graph used
        x = torch.tensor(rng.normal(size=(9, d)))
        theta = torch.tensor(rng.normal(size=(6, d)), requires_grad=True)
        _assert_matches_naive(lik, x, theta, hm_bound(lik, x, theta, out=buffer))


@settings(max_examples=25, deadline=None)
@given(
    # 40 > _THIN_GRAD_MAX_D: the gradient's product in its other layout
    d=st.sampled_from([1, 2, 12, 40]),
    n=st.integers(1, 12),
    m=st.integers(1, 9),
    sigma=st.floats(0.05, 3.0),
    seed=st.integers(0, 2**16),
)
def test_gaussian_hm_and_grad_matches_naive_autograd(d, n, m, sigma, seed):
    """The closed-form gradient the training steps use equals autograd of the naive H_M."""
    assert 12 <= _THIN_GRAD_MAX_D < 40
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.normal(size=(n, d)))
    theta = torch.tensor(rng.normal(size=(m, d)), requires_grad=True)
    value, grad = gaussian_hm_and_grad(sigma, x, theta.detach(), out=torch.empty(n, m, dtype=torch.float64))
    naive = -(torch.logsumexp(pairwise_log_prob(Gaussian(sigma), x, theta), dim=1) - math.log(m)).mean()
    (grad_ref,) = torch.autograd.grad(naive, theta)
    assert value.item() == pytest.approx(naive.item(), rel=1e-12)
    torch.testing.assert_close(grad, grad_ref, rtol=1e-9, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    d=st.sampled_from([1, 2, 40]),
    n=st.integers(1, 12),
    m=st.integers(1, 9),
    k=st.integers(0, 20),
    sigma=st.floats(0.05, 3.0),
    seed=st.integers(0, 2**16),
)
def test_gaussian_hm_and_grad_with_memory(d, n, m, k, sigma, seed):
    """With ``memory``, the value is the naive H_{M+K} over theta and the memory's rows, and the
    gradient is autograd's for theta's rows (the memory held fixed) times (M + K) / M."""
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.normal(size=(n, d)))
    theta = torch.tensor(rng.normal(size=(m, d)), requires_grad=True)
    memory = torch.tensor(rng.normal(size=(k, d)))
    buffer = torch.empty(n, m + k, dtype=torch.float64)
    value, grad = gaussian_hm_and_grad(sigma, x, theta.detach(), out=buffer, memory=memory)
    means = torch.cat([theta, memory])
    naive = -(torch.logsumexp(pairwise_log_prob(Gaussian(sigma), x, means), dim=1) - math.log(m + k)).mean()
    (grad_ref,) = torch.autograd.grad(naive, theta)
    assert value.item() == pytest.approx(naive.item(), rel=1e-12)
    torch.testing.assert_close(grad, grad_ref * (m + k) / m, rtol=1e-9, atol=1e-12)


_MKL = {"SKSIG_ONEDNN": "0"}


@contextlib.contextmanager
def _flag_unset():
    """The environment without ``SKSIG_ONEDNN``: the default path."""
    with mock.patch.dict(os.environ):
        os.environ.pop("SKSIG_ONEDNN", None)
        yield


with _flag_unset():
    _ONEDNN_BUILT = _hm._onednn_linear() is not None


@pytest.mark.skipif(not _ONEDNN_BUILT, reason="torch built without oneDNN")
@settings(max_examples=25, deadline=None)
@given(
    d=st.sampled_from([_THIN_GRAD_MAX_D + 1, 64, 192]),
    n=st.integers(1, 40),
    m=st.integers(1, 30),
    k=st.integers(0, 30),
    sigma=st.floats(0.3, 3.0),
    seed=st.integers(0, 2**16),
)
def test_gaussian_hm_and_grad_onednn_float32(d, n, m, k, sigma, seed):
    """By default the float32 block runs transposed through oneDNN: H_{M+K} and its gradient
    agree with the float64 naive autograd as closely as MKL's path (``SKSIG_ONEDNN=0``)."""
    rng = np.random.default_rng(seed)
    x64, theta64, memory64 = (torch.tensor(rng.normal(size=(rows, d))) for rows in (n, m, k))
    means = torch.cat([theta64, memory64]).requires_grad_(True)
    naive = -(torch.logsumexp(pairwise_log_prob(Gaussian(sigma), x64, means), dim=1) - math.log(m + k)).mean()
    (grad_ref,) = torch.autograd.grad(naive, means)
    grad_ref = grad_ref[:m] * (m + k) / m
    x, theta, memory = x64.float(), theta64.float(), memory64.float()
    with mock.patch.dict(os.environ, _MKL):
        mkl = gaussian_hm_and_grad(sigma, x, theta, memory=memory)
    with _flag_unset():
        value, grad = gaussian_hm_and_grad(sigma, x, theta, memory=memory)
    assert value.dtype == grad.dtype == torch.float32 and grad.shape == (m, d)
    scale = grad_ref.abs().max().item()
    # a weight below exp(_FLOOR) of its row's largest is raised to it (the slow-exp clamp), which
    # moves a gradient entry by at most (M + K) / M * exp(_FLOOR) * max |x_i - theta_j| / sigma^2
    clamp = (m + k) / m * math.exp(_hm._FLOOR) * (x64[:, None] - theta64[None]).abs().max().item() / sigma**2
    for v, g in (mkl, (value, grad)):
        assert v.item() == pytest.approx(naive.item(), rel=1e-5, abs=1e-4)
        torch.testing.assert_close(g.double(), grad_ref, rtol=1e-4, atol=1e-5 * scale + 2 * clamp)


def test_onednn_path_unless_turned_off():
    """The oneDNN block is used for float32 CPU data above ``_THIN_GRAD_MAX_D`` features unless
    ``SKSIG_ONEDNN=0``; in float64 and for thin data MKL's path runs."""
    calls = []

    def spy(linear, *args):
        calls.append(args[0].shape)
        return real(linear, *args)

    real = _hm._exp_block_transposed
    x, theta = torch.rand(8, 40), torch.rand(5, 40)
    with mock.patch.object(_hm, "_exp_block_transposed", spy):
        with mock.patch.dict(os.environ, _MKL):
            gaussian_hm_and_grad(0.5, x, theta)
        with _flag_unset():
            gaussian_hm_and_grad(0.5, x.double(), theta.double())
            gaussian_hm_and_grad(0.5, x[:, :2], theta[:, :2])
            assert calls == []
            gaussian_hm_and_grad(0.5, x, theta)
        with mock.patch.dict(os.environ, {"SKSIG_ONEDNN": "1"}):
            gaussian_hm_and_grad(0.5, x[:3], theta)
    assert calls == ([(8, 40), (3, 40)] if _ONEDNN_BUILT else [])
