"""GANSIEstimator: the sklearn contract, Algorithm 1 against a hand-written step, DCGAN shapes."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

import skSIG._gan
from skSIG import GANSIEstimator, _hm
from skSIG._dcgan import (
    DENSE_MAX_ENTRIES,
    SIZES,
    DCGANDiscriminator,
    DCGANGenerator,
    _Affine,
    _Banded,
    _bands,
    _Gather,
    _input_segments,
    _ReLU,
    _without_bands,
)
from skSIG._hm import hm_bound
from skSIG._likelihoods import Gaussian, pairwise_log_prob
from skSIG._networks import init_parameters

FAST = dict(M=16, batch_size=16, max_iter=5, n_eval_samples=50)


@parametrize_with_checks(
    [
        GANSIEstimator(**FAST, random_state=0),
        GANSIEstimator(**FAST, lam="auto", loss="wgan-gp", instance_noise=0.5, hm_memory=2, random_state=0),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _initialized(X, **params):
    """An estimator with freshly built networks, as ``fit`` leaves them before the first step."""
    est = GANSIEstimator(**params)
    est._validate_params()
    est._initialize(est._validate_X(X, reset=True), torch.device("cpu"))
    return est


def _hand_written_grads(est, x, z, lam, sigma, noise=None):
    """Algorithm 1 written out: gradients of eq. 11 (discriminator) and eq. 12 (generator).
    ``noise`` (rows for x, then for theta) is added to what D judges, not to H_M's theta."""
    G, D = copy.deepcopy(est.transform_), copy.deepcopy(est.discriminator_)
    theta = G(z)
    e_x, e_theta = (0.0, 0.0) if noise is None else (noise[: x.shape[0]], noise[x.shape[0] :])
    d_x, d_theta = torch.sigmoid(D(x + e_x)), torch.sigmoid(D(theta.detach() + e_theta))
    loss_d = -(torch.log(d_x).mean() + torch.log(1 - d_theta).mean())
    loss_g = -torch.log(torch.sigmoid(D(theta + e_theta))).mean()
    if lam:
        loss_g = loss_g + lam * hm_bound(Gaussian(sigma), x, theta)
    grads_d = torch.autograd.grad(loss_d, list(D.parameters()))
    grads_g = torch.autograd.grad(loss_g, list(G.parameters()))
    return grads_g, grads_d


@pytest.mark.parametrize("lam", [0.0, 0.7])
def test_step_is_algorithm_1(bimodal, lam):
    """One step's gradients equal the hand-written GAN (lam=0) or GAN + lam * H_M step, with
    the same M generated theta_j feeding both terms."""
    est = _initialized(bimodal, lam=lam, M=32, batch_size=64, random_state=0)
    x = est._to_tensor(bimodal[:64], torch.device("cpu"))
    z = torch.randn(32, est.transform_.n_latent, generator=torch.Generator().manual_seed(5))
    grads_g, grads_d = _hand_written_grads(est, x, z, lam, sigma=0.3)
    est._step(x, 0.3, 1.0, torch.Generator().manual_seed(5))
    for p, g in zip(est.transform_.parameters(), grads_g):
        torch.testing.assert_close(p.grad, g, rtol=1e-4, atol=1e-6)
    for p, g in zip(est.discriminator_.parameters(), grads_d):
        torch.testing.assert_close(p.grad, g, rtol=1e-4, atol=1e-6)


def test_hm_memory_step(bimodal):
    """With hm_memory=2, a step's H_M runs over its own M draws and those of the two steps
    before it (newest first, without gradient); the generator's gradient is the hand-written
    GAN + lam * (M + K) / M * H_{M+K} one, and the discriminator's is unchanged."""
    est = _initialized(bimodal, lam=0.7, hm_memory=2, M=32, batch_size=64, random_state=0)
    x = est._to_tensor(bimodal[:64], torch.device("cpu"))
    seeds, draws = [5, 6, 7, 8], []
    for step, seed in enumerate(seeds):
        z = torch.randn(32, est.transform_.n_latent, generator=torch.Generator().manual_seed(seed))
        G, D = copy.deepcopy(est.transform_), copy.deepcopy(est.discriminator_)
        theta = G(z)
        memory = torch.cat(draws[::-1][:2]) if draws else torch.empty(0, 2)
        loss_d = F.softplus(-D(x)).mean() + F.softplus(D(theta.detach())).mean()
        means = torch.cat([theta, memory])
        hm = -(torch.logsumexp(pairwise_log_prob(Gaussian(0.3), x, means), dim=1) - math.log(len(means))).mean()
        loss_g = F.softplus(-D(theta)).mean() + 0.7 * len(means) / 32 * hm
        grads_g = torch.autograd.grad(loss_g, list(G.parameters()))
        grads_d = torch.autograd.grad(loss_d, list(D.parameters()))
        buffer = torch.empty(64, est._hm_columns())
        loss = est._step(x, 0.3, 1.0, torch.Generator().manual_seed(seed), buffer)
        assert loss.item() == pytest.approx(F.softplus(-D(theta)).mean().item() + 0.7 * hm.item(), rel=1e-5)
        for p, g in zip(est.transform_.parameters(), grads_g):
            torch.testing.assert_close(p.grad, g, rtol=1e-4, atol=1e-6)
        for p, g in zip(est.discriminator_.parameters(), grads_d):
            torch.testing.assert_close(p.grad, g, rtol=1e-4, atol=1e-6)
        draws.append(theta.detach())
        assert est._memory.shape == (32 * min(step + 1, 2), 2)
        torch.testing.assert_close(est._memory, torch.cat(draws[::-1][:2]), rtol=0, atol=0)


def test_hm_memory_carries_over_and_can_be_lowered(bimodal):
    """The memory is fitted state: it carries into partial_fit (clearing it changes the steps
    after), a fresh fit of a fitted estimator starts without it (as a new estimator does),
    lowering hm_memory or M before a warm start works, and lam=0 keeps none."""
    kw = dict(FAST, hm_memory=3, random_state=0)
    est = GANSIEstimator(**kw).fit(bimodal)
    assert est._memory.shape == (3 * 16, 2)
    twin = copy.deepcopy(est)
    est.partial_fit(bimodal[:32])
    twin._memory = None
    twin.partial_fit(bimodal[:32])
    assert est.loss_curve_[:5] == twin.loss_curve_[:5] and est.loss_curve_[5:] != twin.loss_curve_[5:]
    refit = copy.deepcopy(est).fit(bimodal)  # warm_start=False: from scratch
    assert refit.loss_curve_ == GANSIEstimator(**kw).fit(bimodal).loss_curve_
    est.set_params(warm_start=True, hm_memory=1, M=8).fit(bimodal)
    assert est._memory.shape == (8, 2) and np.isfinite(est.loss_curve_).all()
    assert GANSIEstimator(**{**kw, "lam": 0}).fit(bimodal)._memory is None


@pytest.mark.parametrize(
    "params, expected",
    [
        (dict(architecture="dcgan", image_shape=(8, 8, 3)), 1),
        (dict(architecture="dcgan", image_shape=(8, 8, 3), lam="auto"), 1),
        (dict(architecture="dcgan", image_shape=(8, 8, 3), lam=0), 0),
        (dict(architecture="dcgan", image_shape=(8, 8, 3), hm_memory=0), 0),
        (dict(architecture="dcgan", image_shape=(8, 8, 3), hm_memory=2), 2),
        (dict(), 0),
        (dict(hm_memory=1), 1),
    ],
)
def test_hm_memory_auto(params, expected):
    """hm_memory="auto" keeps one step's draws for the DCGAN's H_M term, none for the MLP or
    a plain GAN; a number is taken as given. A fit keeps that many steps' draws."""
    est = GANSIEstimator(**params, **FAST, random_state=0)
    assert est.hm_memory == params.get("hm_memory", "auto") and est._setting("hm_memory") == expected
    X = np.random.default_rng(0).random((40, 192 if "image_shape" in params else 2))
    est.fit(X)
    memory = est._memory
    assert (memory is None) if expected == 0 else (memory.shape == (16 * expected, X.shape[1]))


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_instance_noise_step(bimodal, scale):
    """With instance_noise, D judges x + s e and theta + s e (s = instance_noise * sigma_t, e
    the step's next standard normal draws after z); H_M still sees theta itself."""
    est = _initialized(bimodal, lam=0.7, instance_noise=scale, M=32, batch_size=64, random_state=0)
    x = est._to_tensor(bimodal[:64], torch.device("cpu"))
    gen = torch.Generator().manual_seed(5)
    z = torch.randn(32, est.transform_.n_latent, generator=gen)
    noise = scale * 0.3 * torch.randn(64 + 32, 2, generator=gen)
    grads_g, grads_d = _hand_written_grads(est, x, z, 0.7, sigma=0.3, noise=noise)
    clean_g, _ = _hand_written_grads(est, x, z, 0.7, sigma=0.3)
    est._step(x, 0.3, 1.0, torch.Generator().manual_seed(5))
    for p, g in zip(est.transform_.parameters(), grads_g):
        torch.testing.assert_close(p.grad, g, rtol=1e-4, atol=1e-6)
    for p, g in zip(est.discriminator_.parameters(), grads_d):
        torch.testing.assert_close(p.grad, g, rtol=1e-4, atol=1e-6)
    assert not all(torch.allclose(p.grad, g) for p, g in zip(est.transform_.parameters(), clean_g))


def test_instance_noise_wgan_gp_penalty_is_on_the_noisy_rows(bimodal):
    """WGAN-GP with instance noise: the critic's loss and its gradient penalty's interpolates
    use the rows the critic judged, x + s e and theta + s e (hand-written with the same draws)."""
    est = _initialized(bimodal, loss="wgan-gp", lam=0, instance_noise=1.0, M=32, batch_size=64, random_state=0)
    x = est._to_tensor(bimodal[:64], torch.device("cpu"))
    gen = torch.Generator().manual_seed(5)
    z = torch.randn(32, est.transform_.n_latent, generator=gen)
    noise = 0.3 * torch.randn(64 + 32, 2, generator=gen)
    eps = torch.rand(32, 1, generator=gen)
    G, D = copy.deepcopy(est.transform_), copy.deepcopy(est.discriminator_)
    x_seen, theta_seen = x + noise[:64], G(z).detach() + noise[64:]
    x_hat = (eps * x_seen[:32] + (1 - eps) * theta_seen).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    loss_d = D(theta_seen).mean() - D(x_seen).mean() + 10.0 * ((grad.norm(dim=1) - 1) ** 2).mean()
    grads_d = torch.autograd.grad(loss_d, list(D.parameters()))
    est._step(x, 0.3, 1.0, torch.Generator().manual_seed(5))
    for p, g in zip(est.discriminator_.parameters(), grads_d):
        torch.testing.assert_close(p.grad, g, rtol=1e-4, atol=1e-6)


def test_lam_zero_never_computes_hm(bimodal, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("H_M computed with lam=0")

    monkeypatch.setattr(skSIG._gan, "gaussian_hm_and_grad", fail)
    GANSIEstimator(**FAST, lam=0, random_state=0).fit(bimodal)
    with pytest.raises(AssertionError, match="H_M computed"):
        GANSIEstimator(**FAST, lam=0.5, random_state=0).fit(bimodal)


@pytest.mark.parametrize("instance_noise", [0.0, 1.0])
@pytest.mark.parametrize("loss", ["gan", "wgan-gp"])
@pytest.mark.parametrize("architecture", ["mlp", "dcgan"])
def test_gradients_reach_every_parameter(loss, architecture, instance_noise):
    rng = np.random.default_rng(0)
    X = rng.random((32, 8 * 8 * 3)) if architecture == "dcgan" else rng.normal(size=(32, 3))
    est = _initialized(
        X, loss=loss, architecture=architecture, image_shape=(8, 8, 3), M=16, batch_size=16,
        instance_noise=instance_noise, random_state=0,
    )
    est._step(est._to_tensor(X[:16], torch.device("cpu")), 0.5, 1.0, torch.Generator().manual_seed(0))
    output_bias = list(est.discriminator_.parameters())[-1]
    for name, module in [("generator", est.transform_), ("discriminator", est.discriminator_)]:
        for pname, p in module.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), (name, pname)
            if loss == "wgan-gp" and p is output_bias:
                continue  # the critic's loss E C(theta) - E C(x) does not depend on its offset
            assert p.grad.abs().sum() > 0, (name, pname)


def test_lam_auto_balances_gradient_norms(bimodal):
    """lam="auto" is the running ratio of the two terms' gradient norms w.r.t. theta."""
    est = _initialized(bimodal, lam="auto", M=32, batch_size=64, random_state=0)
    x = est._to_tensor(bimodal[:64], torch.device("cpu"))
    z = torch.randn(32, est.transform_.n_latent, generator=torch.Generator().manual_seed(1))
    theta = est.transform_(z).detach().requires_grad_(True)
    (g_gan,) = torch.autograd.grad(F.softplus(-est.discriminator_(theta)).mean(), theta)
    (g_hm,) = torch.autograd.grad(hm_bound(Gaussian(0.3), x, theta), theta)
    est._step(x, 0.3, 1.0, torch.Generator().manual_seed(1))
    assert est.lam_ == pytest.approx(float(g_gan.norm() / g_hm.norm()), rel=1e-4)
    est.set_params(max_iter=20).fit(bimodal)
    assert math.isfinite(est.lam_) and est.lam_ > 0


@pytest.mark.parametrize("image_shape", [(8, 8, 3), (28, 28, 3)])
@pytest.mark.parametrize("size", ["S", "M", "L"])
def test_dcgan_shapes(image_shape, size):
    k_g, k_d = SIZES[size]
    G, D = DCGANGenerator(256, image_shape, k_g), DCGANDiscriminator(image_shape, k_d)
    x = G(torch.randn(3, 256))
    assert x.shape == (3, math.prod(image_shape))
    assert D(x).shape == (3,)
    # Widths of Appendix C: 64/32/8 K_g generator channels, 8/16/32 K_d discriminator channels.
    assert [m.out_channels for m in G.modules() if isinstance(m, torch.nn.modules.conv._ConvNd)] == [
        64 * k_g,
        32 * k_g,
        8 * k_g,
        3,
    ]
    assert [m.out_channels for m in D.modules() if isinstance(m, torch.nn.Conv2d)] == [
        int(8 * k_d),
        int(16 * k_d),
        int(32 * k_d),
    ]


@pytest.mark.parametrize("image_shape, dense", [((8, 8, 3), None), ((8, 8, 3), False), ((28, 28, 3), None)])
def test_dcgan_generator_in_place_relu_is_nn_relu(image_shape, dense):
    """The generator's in-place ReLU gives nn.ReLU's outputs and gradients to the bit, on the
    dense blocks, the pointwise block and the convolutions (whose outputs it sees as views)."""
    G = init_parameters(DCGANGenerator(16, image_shape, dense=dense), torch.Generator().manual_seed(0))
    reference = copy.deepcopy(G)
    relus = [i for i, m in enumerate(reference.body) if isinstance(m, _ReLU)]
    assert len(relus) == 4
    for i in relus:
        reference.body[i] = torch.nn.ReLU()
    z = torch.randn(7, 16, generator=torch.Generator().manual_seed(1))
    weights = torch.randn(7, math.prod(image_shape), generator=torch.Generator().manual_seed(2))
    results = []
    for net in (G, reference):
        x = net(z)
        results.append([x] + list(torch.autograd.grad((x * weights).sum(), list(net.parameters()))))
        with torch.no_grad():
            assert torch.equal(net(z), x)
    for got, want in zip(*results):
        assert torch.equal(got, want)
    assert all(g.abs().sum() > 0 for g in results[0][1:])


def test_in_place_relu_masks_a_shared_gradient_out_of_place():
    """An expanded incoming gradient (``sum().backward()``) is not written over."""
    x = torch.tensor([-1.0, 0.0, 2.0, -3.0, 4.0], requires_grad=True)
    y = _ReLU()(x * 1.0)
    assert torch.equal(y, torch.tensor([0.0, 0.0, 2.0, 0.0, 4.0]))
    y.sum().backward()
    assert torch.equal(x.grad, torch.tensor([0.0, 0.0, 1.0, 0.0, 1.0]))
    # Its backward is not itself differentiable, and says so.
    (gx,) = torch.autograd.grad(_ReLU()(x * 1.0).pow(2).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        gx.sum().backward()


def test_dcgan_28x28_intermediate_sizes():
    """The 28x28 generator follows Appendix C: 4x4 -> 7x7 -> 14x14 -> 14x14 -> 28x28."""
    G = DCGANGenerator(256, (28, 28, 3))
    blocks = [m for m in G.body if isinstance(m, _Affine)]
    sizes = [blocks[0].in_shape[1:]] + [b.out_shape[1:] for b in blocks[:-1]] + [blocks[-1].out_shape[:2]]
    assert sizes == [(4, 4), (7, 7), (14, 14), (14, 14), (28, 28)]
    assert not any(b.dense for b in blocks)  # 28x28 maps run as convolutions


@pytest.mark.parametrize("image_shape, k", [((8, 8, 3), 1), ((8, 8, 3), 2), ((5, 7, 2), 1), ((12, 12, 1), 0.5)])
def test_dcgan_dense_blocks_match_convolutions(image_shape, k):
    """The dense evaluation of each block is the same function, with the same gradients, as its layers."""
    nets = {
        dense: (
            init_parameters(DCGANGenerator(16, image_shape, k, dense=dense), torch.Generator().manual_seed(0)),
            init_parameters(DCGANDiscriminator(image_shape, k, dense=dense), torch.Generator().manual_seed(1)),
        )
        for dense in (False, True)
    }
    z = torch.randn(9, 16, generator=torch.Generator().manual_seed(2))
    results = {}
    for dense, (G, D) in nets.items():
        x = G(z)
        out = D(x)
        params = list(G.parameters()) + list(D.parameters())
        results[dense] = [x, out] + list(torch.autograd.grad((out * torch.arange(9.0)).sum(), params))
    assert results[True][0].shape == (9, math.prod(image_shape))
    for conv, dense in zip(results[False], results[True]):
        torch.testing.assert_close(dense, conv, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("image_shape", [(8, 8, 3), (5, 7, 2)])
def test_dcgan_dense_blocks_carry_the_gradient_penalty(image_shape):
    """WGAN-GP differentiates the critic's input gradient: through the dense blocks' gathered
    matrices it reaches the weights as through the convolutions."""
    grads = {}
    for dense in (False, True):
        D = init_parameters(DCGANDiscriminator(image_shape, 1, dense=dense), torch.Generator().manual_seed(1))
        x = torch.randn(6, math.prod(image_shape), generator=torch.Generator().manual_seed(2), requires_grad=True)
        (gx,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
        params = list(D.parameters())
        # The output bias does not move the input gradient: no gradient (None) in either form.
        penalty = torch.autograd.grad(((gx.norm(dim=1) - 1) ** 2).mean(), params, allow_unused=True)
        grads[dense] = [torch.zeros_like(p) if g is None else g for p, g in zip(params, penalty)]
    assert any(g.abs().sum() > 0 for g in grads[True])
    for conv, dense in zip(grads[False], grads[True]):
        torch.testing.assert_close(dense, conv, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("image_shape, k", [((8, 8, 3), 1), ((5, 7, 2), 2)])
def test_dcgan_dense_matrix_is_the_convolution_of_the_unit_vectors(image_shape, k):
    """The gathered ``A`` and ``b`` are what the layers make of the unit vectors and of zero
    (in float64, where both are exact), and the index maps are not saved with the weights."""
    G = init_parameters(DCGANGenerator(16, image_shape, k), torch.Generator().manual_seed(0)).double()
    D = init_parameters(DCGANDiscriminator(image_shape, k), torch.Generator().manual_seed(1)).double()
    blocks = [m for m in [*G.modules(), *D.modules()] if isinstance(m, _Affine) and m.dense]
    assert blocks
    for m in blocks:
        n = math.prod(m.in_shape)
        basis = torch.eye(n, dtype=torch.float64).reshape(n, *m.in_shape)
        with torch.no_grad():
            zero = m.layers(torch.zeros(1, *m.in_shape, dtype=torch.float64)).flatten(1)[0]
            expected = m.layers(basis).flatten(1) - zero
            A, b = m.matrix()
        assert A.shape == (n, math.prod(m.out_shape))
        torch.testing.assert_close(A, expected, rtol=0, atol=1e-15)
        torch.testing.assert_close(b, zero, rtol=0, atol=0)
    for net in (G, D):
        assert set(net.state_dict()) == {name for name, _ in net.named_parameters()}


def test_dcgan_affine_needs_one_convolution():
    conv = torch.nn.Conv2d(2, 2, 3, padding=1)
    with pytest.raises(ValueError, match="exactly one convolution"):
        _Affine((2, 4, 4), conv, torch.nn.Conv2d(2, 2, 3, padding=1))
    # The check's random weights are its own: its verdict does not depend on what ran before
    # (torch's global random state), and it leaves that state as it was.
    for seed in range(3):
        torch.manual_seed(seed)
        with pytest.raises(ValueError, match="one weight per matrix entry"):
            _Affine((2, 4, 4), conv, torch.nn.ReLU())
        assert torch.equal(torch.random.get_rng_state(), torch.manual_seed(seed).get_state())


def test_dcgan_dense_is_chosen_by_size():
    G, D = DCGANGenerator(256, (8, 8, 3)), DCGANDiscriminator((8, 8, 3))
    blocks = [m for m in [*G.modules(), *D.modules()] if isinstance(m, _Affine)]
    for m in blocks:
        kernel = next(k for k in m.layers if isinstance(k, torch.nn.modules.conv._ConvNd)).kernel_size
        small = math.prod(m.in_shape) * math.prod(m.out_shape) <= DENSE_MAX_ENTRIES
        assert m.dense == (small and kernel != (1, 1))
    # At 8x8 only the generator's 1x1 (VALID, 2x2 -> 2x2) block is not dense: it runs per pixel.
    assert [m.dense for m in blocks] == [False] + [True] * 6
    assert [m.pointwise for m in blocks] == [True] + [False] * 6
    # At 28x28 that block's kernel is 4x4 (4x4 -> 7x7): a convolution.
    assert not any(m.pointwise for m in DCGANGenerator(16, (28, 28, 3)).modules() if isinstance(m, _Affine))


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_dcgan_pointwise_block_is_its_convolution(transposed, bias):
    """A 1x1 block evaluated per pixel is the convolution, with the same gradients (float64)."""
    block = _Affine((5, 2, 3), (torch.nn.ConvTranspose2d if transposed else torch.nn.Conv2d)(5, 3, 1, bias=bias))
    block, conv = block.double(), block.conv
    assert block.pointwise and not block.dense
    x = torch.randn(7, 30, dtype=torch.float64, generator=torch.Generator().manual_seed(0), requires_grad=True)
    weights = torch.randn(7, 18, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    params = [x, *conv.parameters()]
    out = block(x)
    expected = conv(x.reshape(7, 5, 2, 3)).flatten(1)
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
    for got, want in zip(
        torch.autograd.grad((out * weights).sum(), params), torch.autograd.grad((expected * weights).sum(), params)
    ):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_dcgan_blocks_pickled_before_pointwise_existed_still_load():
    """A generator pickled before ``_Affine.pointwise`` existed loads and runs as before."""
    import pickle

    G = DCGANGenerator(8, (8, 8, 3))
    z = torch.randn(4, 8, generator=torch.Generator().manual_seed(0))
    expected = G(z)
    for block in (m for m in G.modules() if isinstance(m, _Affine)):
        del block.pointwise  # what the older pickles hold
    loaded = pickle.loads(pickle.dumps(G))
    assert [m.pointwise for m in loaded.modules() if isinstance(m, _Affine)] == [True, False, False, False]
    torch.testing.assert_close(loaded(z), expected, rtol=0, atol=0)


@pytest.mark.parametrize(
    "conv",
    [
        torch.nn.Conv2d(2, 2, 1, stride=2),
        torch.nn.Conv2d(2, 2, 1, padding=1),
        torch.nn.Conv2d(2, 2, 1, dilation=2),
        torch.nn.Conv2d(2, 2, 1, groups=2),
        torch.nn.ConvTranspose2d(2, 2, 1, stride=2, output_padding=1),
        torch.nn.Conv2d(2, 2, 2),
    ],
)
def test_dcgan_pointwise_needs_a_plain_1x1_convolution(conv):
    """Stride, padding, dilation, groups or a larger kernel keep the block a convolution."""
    block = _Affine((2, 4, 4), conv, dense=False)
    assert not block.pointwise
    x = torch.randn(3, 32)
    torch.testing.assert_close(block(x), conv(x.reshape(3, 2, 4, 4)).flatten(1))


def _fwd_bwd(net, z, weights):
    """Output and parameter gradients of ``(net(z) * weights).sum()``."""
    x = net(z)
    return [x, *torch.autograd.grad((x * weights).sum(), list(net.parameters()))]


def _assert_same_bits(net, reference, n_latent, n_features, n=16):
    """``net`` and ``reference`` give the same outputs and parameter gradients to the bit."""
    z = torch.randn(n, n_latent, generator=torch.Generator().manual_seed(1))
    weights = torch.randn(n, n_features, generator=torch.Generator().manual_seed(2))
    for got, want in zip(_fwd_bwd(net, z, weights), _fwd_bwd(reference, z, weights)):
        assert torch.equal(got, want)


def test_dcgan_8x8_generator_runs_by_bands():
    """At 8x8 the generator's maps are flattened channels last and its dense blocks run by
    bands of output rows, which read 0.75, 0.75 and 0.44 of their dense matrices (each output
    row of pixels reads the input rows its 4x4 kernel reaches: 1-2 of 2, 2-4 of 4, 1-2 of 4)."""
    G = DCGANGenerator(64, (8, 8, 3))
    assert G.channels_last
    blocks = [m for m in G.body if isinstance(m, _Affine)]
    assert [m.channels_last for m in blocks] == [(True, True)] * 3 + [(True, False)]
    read = [
        sum((hi - lo) * (c1 - c0) for lo, hi, c0, c1 in m.bands) / m.weight_index.numel() for m in blocks[1:]
    ]
    assert read == pytest.approx([0.75, 0.75, 0.4375])
    assert [len(m.bands) for m in blocks[1:]] == [3, 4, 5]
    # No non-zero entry of any block lies outside its bands.
    for m in blocks[1:]:
        assert int((m.band_index > 0).sum()) == int((m.weight_index > 0).sum())
    # Blocks that are neither banded nor per pixel keep the layers' maps.
    with pytest.raises(ValueError, match="channels-last"):
        DCGANDiscriminator((8, 8, 3)).net[0].set_layout(True, False)


@pytest.mark.parametrize("image_shape, k", [((8, 8, 3), 1), ((8, 8, 3), 0.5), ((5, 7, 2), 1), ((12, 12, 1), 2)])
def test_dcgan_bands_compute_the_dense_blocks_function(image_shape, k):
    """Bands over channels-last maps are the same function with the same gradients as the dense
    blocks over the layers' own maps (float64)."""
    G = init_parameters(DCGANGenerator(16, image_shape, k), torch.Generator().manual_seed(0)).double()
    reference = _without_bands(G)
    assert not reference.channels_last and not any(getattr(m, "banded", False) for m in reference.body)
    z = torch.randn(9, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    weights = torch.randn(9, math.prod(image_shape), dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    for got, want in zip(_fwd_bwd(G, z, weights), _fwd_bwd(reference, z, weights)):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-13)


def test_dcgan_size_l_generator_is_unchanged_by_bands():
    """Size L's 8x8 generator has a block that runs as a convolution, so its maps keep the
    layers' order and its dense blocks gain too little from bands: each is one band, the dense
    product to the bit (float32), forward and backward."""
    G = init_parameters(DCGANGenerator(64, (8, 8, 3), SIZES["L"][0]), torch.Generator().manual_seed(0))
    assert not G.channels_last
    for m in (m for m in G.body if isinstance(m, _Affine) and m.banded):
        n_in, n_out = m.weight_index.shape
        assert m.bands == [(0, n_in, 0, n_out)]
    _assert_same_bits(G, _without_bands(G), 64, 192, n=64)


@given(
    n_in=st.integers(1, 12),
    n_rows=st.integers(1, 4),
    unit=st.integers(1, 5),
    density=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=60, deadline=None)
def test_banded_product_is_the_dense_product(n_in, n_rows, unit, density, seed):
    """Any pattern of structural zeros (empty rows and columns included): the bands cover every
    non-zero entry, the columns once each, and their product and gradients are the dense ones."""
    gen = torch.Generator().manual_seed(seed)
    n_out = n_rows * unit
    pattern = torch.rand(n_in, n_out, generator=gen) < density
    # Entries are positions into [0, weight]; some weights are shared by several entries.
    weight = torch.randn(7, dtype=torch.float64, generator=gen, requires_grad=True)
    bias = torch.randn(3, dtype=torch.float64, generator=gen, requires_grad=True)
    index = torch.where(pattern, torch.randint(1, 8, (n_in, n_out), generator=gen), 0)
    bias_index = torch.randint(0, 4, (n_out,), generator=gen)
    bands = _bands(pattern, unit)
    covered = torch.zeros(n_in, n_out, dtype=torch.bool)
    for lo, hi, c0, c1 in bands:
        covered[lo:hi, c0:c1] = True
    assert not (pattern & ~covered).any()
    assert [c for _, _, c0, c1 in bands for c in range(c0, c1)] == list(range(n_out))
    plan = (bands, [index[lo:hi, c0:c1] for lo, hi, c0, c1 in bands], bias_index, *_input_segments(bands, n_in))
    x = torch.randn(5, n_in, dtype=torch.float64, generator=gen, requires_grad=True)
    out_weights = torch.randn(5, n_out, dtype=torch.float64, generator=gen)
    got = _Banded.apply(x, weight, bias, plan)
    w, b = torch.cat([weight.new_zeros(1), weight]), torch.cat([bias.new_zeros(1), bias])
    want = b[bias_index] + x @ w[index]
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    params = [x, weight, bias]
    for g, h in zip(
        torch.autograd.grad((got * out_weights).sum(), params), torch.autograd.grad((want * out_weights).sum(), params)
    ):
        torch.testing.assert_close(g, h, rtol=1e-12, atol=1e-12)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_dcgan_bands_run_on_cuda():
    """The bands' index maps move with the generator, and CUDA computes what the CPU does."""
    G = init_parameters(DCGANGenerator(16, (8, 8, 3)), torch.Generator().manual_seed(0)).double()
    z = torch.randn(9, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    weights = torch.randn(9, 192, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    want = _fwd_bwd(G, z, weights)
    got = _fwd_bwd(copy.deepcopy(G).cuda(), z.cuda(), weights.cuda())
    for g, w in zip(got, want):
        torch.testing.assert_close(g.cpu(), w, rtol=1e-10, atol=1e-12)


def test_dcgan_generator_pickled_before_bands_still_loads():
    """A generator pickled before the bands existed loads and runs as it did: dense blocks over
    the layers' own maps, to the bit."""
    import pickle

    G = init_parameters(DCGANGenerator(8, (8, 8, 3)), torch.Generator().manual_seed(0))
    old = _without_bands(G)
    del old.channels_last
    for block in (m for m in old.modules() if isinstance(m, _Affine)):
        del block.channels_last, block.banded
    loaded = pickle.loads(pickle.dumps(old))
    assert not loaded.channels_last
    _assert_same_bits(loaded, _without_bands(G), 8, 192)


@given(
    size=st.integers(1, 40),
    index=st.lists(st.integers(0, 39), min_size=1, max_size=60),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=30, deadline=None)
def test_dense_gather_gradient_is_autograds(size, index, seed):
    """The dense blocks' gather sums a repeated index's gradients, as autograd's indexing does."""
    index = torch.tensor([i % size for i in index]).reshape(-1, 1)
    source = torch.randn(size, dtype=torch.float64, generator=torch.Generator().manual_seed(seed), requires_grad=True)
    weights = torch.randn(index.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed + 1))
    out = _Gather.apply(source, index)
    assert torch.equal(out, source[index])
    (got,) = torch.autograd.grad((out * weights).sum(), source)
    (want,) = torch.autograd.grad((source[index] * weights).sum(), source)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_dcgan_fit_images_as_rows():
    """Images are flattened (H, W, C) rows; samples come back in the same layout."""
    X = np.random.default_rng(0).random((40, 8 * 8 * 3))
    est = GANSIEstimator(architecture="dcgan", image_shape=(8, 8, 3), size="S", **FAST, random_state=0)
    samples = est.fit(X).sample(4)
    assert samples.shape == (4, 192) and np.isfinite(samples).all()
    assert est.transform_.n_latent == 64
    assert np.isfinite(est.score_samples(X[:5])).all()


def test_sample_is_generator_output(bimodal):
    est = GANSIEstimator(**FAST, random_state=0).fit(bimodal)
    np.testing.assert_array_equal(est.sample(10, random_state=3), est.sample_theta(10, random_state=3))


def test_wgan_gp_and_auto_run(bimodal):
    est = GANSIEstimator(**FAST, loss="wgan-gp", lam="auto", random_state=0).fit(bimodal)
    assert np.isfinite(est.loss_curve_).all() and len(est.loss_curve_) == 5
    assert np.isfinite(est.sample(20)).all()
    est.partial_fit(bimodal[:32])
    assert est.n_iter_ == 7


@pytest.mark.parametrize("module", ["transform_", "discriminator_"])
def test_divergence_is_reported(bimodal, module):
    est = GANSIEstimator(**FAST, warm_start=True, random_state=0).fit(bimodal)
    with torch.no_grad():
        next(getattr(est, module).parameters()).fill_(float("nan"))
    with pytest.raises(FloatingPointError, match="diverged"):
        est.fit(bimodal)


def test_runaway_generator_is_reported(bimodal):
    est = GANSIEstimator(**{**FAST, "max_iter": 50}, learning_rate=1e3, random_state=0)
    with pytest.raises(FloatingPointError, match="median generated sample lies"):
        est.fit(bimodal)
    assert not hasattr(est, "transform_")


@pytest.mark.parametrize(
    "change",
    [dict(loss="wgan-gp"), dict(discriminator_hidden_layer_sizes=(8,)), dict(size="L"), dict(n_latent=5),
     dict(architecture="mlp")],
)
def test_continuing_after_a_structural_change_is_an_error(change):
    X = np.random.default_rng(0).random((40, 48))
    est = GANSIEstimator(M=8, batch_size=8, max_iter=2, n_eval_samples=16, architecture="dcgan",
                         image_shape=(4, 4, 3), warm_start=True, random_state=0).fit(X)
    est.set_params(**change)
    with pytest.raises(ValueError, match=f"{next(iter(change))} \\(built with"):
        est.fit(X)
    with pytest.raises(ValueError, match="shape the fitted networks"):
        est.partial_fit(X)


def test_auto_and_its_value_are_no_structural_change(bimodal):
    est = GANSIEstimator(**FAST, warm_start=True, random_state=0).fit(bimodal)
    est.set_params(n_latent=est.transform_.n_latent).fit(bimodal)
    assert est.n_iter_ == 2 * FAST["max_iter"]


@pytest.mark.parametrize(
    "params, X, match",
    [
        (dict(architecture="dcgan"), np.zeros((10, 12)), "needs image_shape"),
        (dict(architecture="dcgan", image_shape=(4, 4, 3)), np.zeros((10, 12)), "48 values per image"),
        (dict(architecture="dcgan", image_shape=(2, 2, 3)), np.zeros((10, 12)), "at least 4x4"),
        (dict(architecture="dcgan", image_shape=(4, 4)), np.zeros((10, 16)), "three positive integers"),
        (dict(lam=-1.0), np.zeros((10, 2)), "'lam' parameter"),
        (dict(loss="hinge"), np.zeros((10, 2)), "'loss' parameter"),
        (dict(instance_noise=-0.1), np.zeros((10, 2)), "'instance_noise' parameter"),
        (dict(size="XL"), np.zeros((10, 2)), "'size' parameter"),
        (dict(discriminator_hidden_layer_sizes=(0,)), np.zeros((10, 2)), "discriminator_hidden_layer_sizes"),
        (dict(), np.array([[0.0, np.nan]]), "NaN"),
        (dict(), np.zeros(5), "2D array"),
    ],
)
def test_bad_input(params, X, match):
    with pytest.raises(ValueError, match=match):
        GANSIEstimator(**FAST, **params).fit(X)


def test_feature_count_is_enforced(bimodal):
    est = GANSIEstimator(**FAST, random_state=0).fit(bimodal)
    with pytest.raises(ValueError, match="features"):
        est.score_samples(bimodal[:, :1])


def test_random_state_determinism(bimodal):
    a = GANSIEstimator(**FAST, random_state=1).fit(bimodal)
    b = GANSIEstimator(**FAST, random_state=1).fit(bimodal)
    c = GANSIEstimator(**FAST, random_state=2).fit(bimodal)
    np.testing.assert_array_equal(a.sample(20), b.sample(20))
    assert a.loss_curve_ == b.loss_curve_
    assert not np.array_equal(a.sample(20), c.sample(20))


def test_grid_search_over_lam_and_sigma(bimodal):
    search = GridSearchCV(
        GANSIEstimator(M=32, batch_size=32, max_iter=30, n_eval_samples=100, random_state=0),
        {"lam": [0.0, 1.0], "sigma": [0.3, 1.0]},
        cv=2,
    ).fit(bimodal)
    assert search.best_params_["lam"] in (0.0, 1.0)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_auto_budget_follows_architecture(bimodal):
    """M, batch_size, max_iter and n_latent left at "auto" take the per-architecture values."""
    keys = ("M", "batch_size", "max_iter", "n_latent")
    assert [GANSIEstimator()._setting(k) for k in keys] == [1024, 512, 40000, 10]
    expected = {"S": [4096, 512, 7500, 64], "M": [4096, 512, 7500, 64], "L": [2048, 512, 7500, 64]}
    for size, values in expected.items():
        dcgan = GANSIEstimator(architecture="dcgan", image_shape=(8, 8, 3), size=size)
        assert [dcgan._setting(k) for k in keys] == values
    # the default size is M
    assert GANSIEstimator(architecture="dcgan")._setting("M") == 4096
    # size only sizes the DCGAN: an MLP with size="L" keeps the MLP budget
    assert GANSIEstimator(size="L")._setting("max_iter") == 40000
    explicit = GANSIEstimator(M=7, batch_size=5, max_iter=3, n_latent=2)
    assert [explicit._setting(k) for k in keys] == [7, 5, 3, 2]
    # the resolved n_latent is the generator's input size
    X = np.random.default_rng(0).random((40, 8 * 8 * 3))
    fitted = GANSIEstimator(architecture="dcgan", image_shape=(8, 8, 3), M=8, batch_size=8, max_iter=2,
                            n_eval_samples=8, random_state=0).fit(X)
    assert fitted.transform_.n_latent == 64
    assert GANSIEstimator(M=8, batch_size=8, max_iter=2, n_eval_samples=8).fit(bimodal).transform_.n_latent == 10
    # partial_fit runs ceil(n / batch_size) steps with the resolved batch size.
    est = GANSIEstimator(M=16, n_eval_samples=20, random_state=0).partial_fit(np.tile(bimodal, (4, 1)))
    assert est.n_iter_ == math.ceil(4 * len(bimodal) / 512)
    with pytest.raises(ValueError, match="max_iter"):
        GANSIEstimator(max_iter="long").fit(bimodal)


def test_discriminator_logit_clamp_keeps_gradients_normal():
    """A discriminator sure of every row (|logit| = 95) gets exact zeros, not subnormal floats.

    Without the clamp the loss gradient would be sigmoid(-95) / N ~ 3e-43, a subnormal float32,
    and every product with it runs on the CPU's slow subnormal path.
    """

    class Sure(torch.nn.Module):
        def __init__(self, n_real):
            super().__init__()
            self.n_real = n_real
            self.w = torch.nn.Parameter(torch.tensor(1.0))

        def forward(self, x):
            sign = torch.ones(len(x))
            sign[self.n_real :] = -1.0
            return self.w * 95.0 * sign + 0.0 * x.sum(1)

    # The subnormal path is the CPU's: fit there even when a GPU is present.
    X = np.random.default_rng(0).normal(size=(64, 2))
    est = GANSIEstimator(**FAST, device="cpu", random_state=0).fit(X)
    est.discriminator_ = Sure(16)
    x = torch.as_tensor(np.random.default_rng(1).normal(size=(16, 2)), dtype=torch.float32)
    est._step(x, 0.3, 1.0, torch.Generator().manual_seed(0))
    assert est.discriminator_.w.grad.item() == 0.0


def test_dcgan_fit_with_onednn_block(monkeypatch):
    """H_M's block through oneDNN (the default, see skSIG._hm) trains the same model as MKL's
    (``SKSIG_ONEDNN=0``): the first step's loss agrees to float32 rounding, and a short fit with
    the memory stays finite."""
    X = np.random.default_rng(0).random((64, 8 * 8 * 3))
    kw = dict(architecture="dcgan", image_shape=(8, 8, 3), size="S", M=32, batch_size=32,
              n_eval_samples=50, hm_memory=1, random_state=0)
    monkeypatch.setenv("SKSIG_ONEDNN", "0")
    mkl = GANSIEstimator(**kw, max_iter=1).fit(X).loss_curve_
    monkeypatch.delenv("SKSIG_ONEDNN")
    if _hm._onednn_linear() is None:
        pytest.skip("torch built without oneDNN")
    calls, transposed = [], _hm._exp_block_transposed
    monkeypatch.setattr(_hm, "_exp_block_transposed", lambda *args: calls.append(1) or transposed(*args))
    onednn = GANSIEstimator(**kw, max_iter=1).fit(X).loss_curve_
    assert calls == [1] and onednn[0] == pytest.approx(mkl[0], rel=1e-5)
    est = GANSIEstimator(**kw, max_iter=20).fit(X)
    assert np.isfinite(est.loss_curve_).all() and np.isfinite(est.sample(4)).all()
