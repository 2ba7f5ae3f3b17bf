"""The Monte-Carlo cross-entropy bound H_M (paper eq. 6), shared by every estimator.

``H_M = -1/N sum_i log 1/M sum_j p(x_i | theta_j)``. Everything is done in log space with a
log-sum-exp whose shifted terms are clamped at ``_FLOOR`` before ``exp``: after subtracting the
row maximum such terms are below float32 resolution of the sum anyway, and torch's CPU ``exp``
is ~40x slower on inputs below about -88 (see shared/FINDINGS.md), so the clamp decides whether
scoring runs near the matmul rate.

The floor is -60 rather than just above -88 for the backward pass: the stored exponentials
are multiplied by per-row weights of order 1/N there, and ``exp(-80) / N`` is a subnormal
float32, whose arithmetic is orders of magnitude slower on x86 (it made the backward of an
N=512, M=1024 block 4x slower). ``exp(-60) = 8.8e-27`` keeps those products normal, and
terms that small are still 19 orders of magnitude below float32 resolution of the row sum.
"""

import math
import os

import torch

from ._likelihoods import Gaussian

_FLOOR = -60.0
# Elements of one (rows x M) block in score_samples: 4 MiB of float32 stays in cache for the
# element-wise passes and keeps peak memory independent of N.
_BLOCK_ELEMENTS = 1 << 20
# score_samples switches to float64 when float32's rounding of the logits' terms could reach
# this many nats (see scoring_dtype). The bound is about 100x the largest error measured
# against float64 (2-D data, sigma 1e-2 / 1e-3 of the spread: bound 8e-3 / 0.8, measured
# 7.6e-5 / 6.7e-3 nats); the 25-Gaussian grid (bound 1.2e-3) and the stacked digits (4e-4)
# stay in float32.
_FLOAT32_NATS = 1e-2
# Up to this many features the logits are built feature by feature with ``addcmul``: BLAS
# kernels are slow for such thin products (N=512, M=1024, D=2: 0.05 ms against 0.2 ms).
_ELEMENTWISE_MAX_D = 6
# Up to this many features gaussian_hm_and_grad takes its gradient's product as (D + 1, M)
# rather than (M, D + 1): BLAS is ~10x slower on the thin (M, D + 1) output (N=512, M=1024,
# D=2, one thread: 2.6 ms against 0.24 ms, the larger part of GAN-SI's extra cost on the
# 25-Gaussian grid), while from D ~ 96 the (M, D + 1) layout is the faster one.
_THIN_GRAD_MAX_D = 32


def _onednn_linear():
    """torch's oneDNN product ``linear(a, w) = a @ w.T`` where torch was built with oneDNN (its CPU
    builds are), else None; ``SKSIG_ONEDNN=0`` in the environment turns it off (read at every
    call, so that tests and benchmarks can compare the two paths).

    torch sends float32 products to MKL, which on an AMD processor with AVX-512 ran at the rate
    of AVX2 kernels (``MKL_ENABLE_INSTRUCTIONS=AVX512`` changed nothing); oneDNN picks its
    kernels by the processor's features. On that processor, a two-core AMD EPYC of CPU family 26
    (Zen 5), the H_M block's product ``(512, 192) @ (192, 4096)`` took 3.3 ms through oneDNN
    against 7.9 ms through MKL (one thread), and the whole block of :func:`gaussian_hm_and_grad`
    0.53 of MKL's time; held to AVX2 kernels (``ONEDNN_MAX_CPU_ISA=AVX2``) oneDNN's block took
    0.85 of MKL's (0.87 with ``hm_memory=1``'s columns; one thread), so it is not slower where
    AVX-512 is missing. oneDNN's product takes contiguous operands only (a product of column
    slices ran 300 times slower), hence the transposed block of :func:`_exp_block_transposed`.
    It rounds differently from MKL, and its kernels differ between processors, so a seed's draws
    depend on the processor's instruction set; ``SKSIG_ONEDNN=0`` gives MKL's.
    """
    if os.environ.get("SKSIG_ONEDNN", "1") == "0" or not torch.backends.mkldnn.is_available():
        return None
    try:
        return torch.ops.mkldnn._linear_pointwise
    except (AttributeError, RuntimeError):  # a torch without the operator
        return None


def _affine(x, W, b, out=None):
    """The logits ``x @ W.T + b``: ``(N, D), (M, D), (M,) -> (N, M)``, written to ``out`` if given.

    Every entry depends only on its own row of ``x``, in either branch, so a row's value does
    not change with the rows computed beside it.
    """
    if x.shape[1] > _ELEMENTWISE_MAX_D:
        return torch.addmm(b, x, W.T) if out is None else torch.addmm(b, x, W.T, out=out)
    # Contiguous feature rows keep each pass a plain broadcast (strided columns are ~5x slower).
    xt, Wt = x.T.contiguous(), W.T.contiguous()
    out = torch.empty(x.shape[0], W.shape[0], dtype=x.dtype, device=x.device) if out is None else out
    torch.addcmul(b, xt[0][:, None], Wt[0], out=out)  # the bias rides on the first feature's pass
    for k in range(1, x.shape[1]):
        out.addcmul_(xt[k][:, None], Wt[k])
    return out


def _exp_shifted_(block):
    """In place ``block <- exp(max(block - rowmax, _FLOOR))``; returns the row max ``(rows, 1)``."""
    m = block.amax(dim=1, keepdim=True)
    block.sub_(m).clamp_(min=_FLOOR).exp_()
    return m


def _exp_block(x, W, b, out=None):
    """The block ``e = exp(max(x W^T + b - m, _FLOOR))`` (``m`` the row max), its row sums
    ``s: (N, 1)`` and the row log-sum-exps ``m + log s: (N,)``; ``e`` is written to ``out``."""
    e = _affine(x, W, b, out)  # [N, M]
    m = _exp_shifted_(e)
    s = e.sum(dim=1, keepdim=True)
    return e, s, (m + s.log()).squeeze(1)


class _AffineLogSumExp(torch.autograd.Function):
    """``logsumexp_j(x_i . W_j + b_j)`` for every row, without keeping the logits.

    ``x: (N, D), W: (M, D), b: (M,) -> (N,)``. One fused function because the generic autograd
    path spends most of a step transposing the ``N x M`` block; here the backward is contiguous
    matrix products on the stored exponentials.
    """

    @staticmethod
    def forward(ctx, x, W, b, out):
        e, s, lse = _exp_block(x, W, b, out)
        ctx.save_for_backward(x, W, e, s)
        return lse

    @staticmethod
    def backward(ctx, grad):
        x, W, e, s = ctx.saved_tensors
        # The softmax weights are e * r row-wise with r = grad / s; folding r into the small
        # (N, D) and (N,) operands spares a pass over the (N, M) block.
        r = grad[:, None] / s  # [N, 1]
        grad_x = r * (e @ W) if ctx.needs_input_grad[0] else None
        grad_W = grad_b = None
        if ctx.needs_input_grad[1] or ctx.needs_input_grad[2]:
            # One pass over the block for both: [x r, r]^T e is (D + 1, M). (The (M, D + 1)
            # layout that helped GAN-SI's closed form made a 64-D SIG step 2-5% slower.)
            g = torch.cat([x * r, r], dim=1).T @ e
            grad_W, grad_b = g[:-1].T, g[-1]
        return grad_x, grad_W, grad_b, None


def hm_bound(likelihood, x, theta, out=None):
    """H_M of eq. 6 for one minibatch: ``x: (N, D)``, ``theta: (M, D)`` -> scalar.

    Differentiable in ``theta``; used as the SIG loss and as the GAN-SI regulariser (eq. 12).
    ``out``, an ``(N, M)`` tensor, holds the block of exponentials until the backward pass:
    a training loop passes the same one every step, which spares a fresh 2 MiB allocation and
    its page faults (0.3 ms of a 2-3 ms step at N=512, M=1024). It must not still be needed
    by an earlier graph that will be differentiated again.
    """
    W, b = likelihood.natural(theta)
    log_mean = _AffineLogSumExp.apply(x, W, b, out) - math.log(theta.shape[0])
    return -(log_mean + likelihood.base(x)).mean()


@torch.no_grad()
def gaussian_hm_and_grad(sigma, x, theta, out=None, memory=None):
    """H_M of eq. 6 for ``p(x | theta) = N(theta, sigma^2 I)`` and its gradient in ``theta``.

    ``x: (N, D)``, ``theta: (M, D)`` -> ``(H_M, dH_M/dtheta)``, a scalar and an ``(M, D)``
    tensor, without an autograd graph. The value is :func:`hm_bound`'s for
    ``Gaussian(sigma)``; the gradient is its closed form

        dH_M/dtheta_j = 1/(N sigma^2) sum_i P_ij (theta_j - x_i),

    ``P_ij`` the softmax weights of row ``i``, from the stored block of exponentials with one
    matrix product, ``e^T [x r, r]`` with ``r_i = 1 / (N sigma^2 s_i)``. For images it is
    taken as ``(M, D + 1)`` so that it meets ``theta`` row by row (through a transposed view
    that took 3.5 ms of a 2048-image DCGAN step on one thread); up to ``_THIN_GRAD_MAX_D``
    features as the transpose of ``[x r, r]^T e``, because BLAS is slow on the thin
    ``(M, D + 1)`` output (2-D data, N=512, M=1024, one thread: 2.6 ms against 0.24 ms; the
    same values to the bit in the cases compared). GAN-SI's step uses it to push the gradient
    through the generator itself: on 2-D data the small autograd nodes of ``hm_bound``'s graph
    were a quarter of its cost (N=512, M=1024, one thread: value and gradient 1.18 ms ->
    0.88 ms). ``out`` as for :func:`hm_bound`, with ``M + K`` columns when ``memory`` is given.

    ``memory``, an optional ``(K, D)`` tensor of further means (GANSIEstimator's draws of
    earlier steps), joins ``theta`` in the mixture: the value is H_{M+K} over the ``M + K``
    means, and the gradient is returned for the rows of ``theta`` only, times ``(M + K) / M``:
    were the ``K`` rows draws of the same generator, the sum over ``theta``'s rows of their
    gradient times their Jacobian would then be an unbiased estimate of the sum over all
    ``M + K``, that is, of the generator's gradient of H_{M+K}.
    """
    lik = Gaussian(sigma)
    m = theta.shape[0]
    means = theta if memory is None or memory.shape[0] == 0 else torch.cat([theta, memory])
    linear = _onednn_linear() if x.device.type == "cpu" and x.dtype == torch.float32 else None
    transposed = linear is not None and x.shape[1] > _THIN_GRAD_MAX_D
    if transposed:
        e, s, lse = _exp_block_transposed(linear, x, *lik.natural(means))
    else:
        e, s, lse = _exp_block(x, *lik.natural(means), out)
    value = -(lse - math.log(means.shape[0]) + lik.base(x)).mean()
    r = 1.0 / (x.shape[0] * lik.sigma**2 * s)  # [N, 1]
    y = torch.cat([x * r, r], dim=1)  # [N, D + 1]
    if transposed:  # theta's rows of the (M + K, N) block: contiguous
        g = linear(e[:m], y.T.contiguous(), None, "none", [], "")  # [M, D + 1]
    else:
        e = e[:, :m]  # theta's columns (all of them without memory; else a strided view BLAS takes)
        g = (y.T @ e).T if x.shape[1] <= _THIN_GRAD_MAX_D else e.T @ y  # [M, D + 1]
    grad = theta * g[:, -1:] - g[:, :-1]
    return value, grad if means.shape[0] == m else grad * (means.shape[0] / m)


def _exp_block_transposed(linear, x, W, b):
    """:func:`_exp_block` with the block taken as ``(M, N)``, one column per data row, through
    oneDNN's ``linear``: the logits as ``[W, b] [x, 1]^T``, so that both of
    :func:`gaussian_hm_and_grad`'s products get contiguous operands (its gradient's
    ``(M, D + 1)`` product reads the block's first rows). Returns the block, the row sums ``s:
    (N, 1)`` and the log-sum-exps ``(N,)``. The same values as :func:`_exp_block`'s up to float32
    rounding (512 rows and 4096 or 8192 means of 192 uniform features: the same H_M, gradients
    6e-8 to 7e-8 apart, relative). On Zen 5 H_M's value and gradient took 0.53 of the default
    block's time without memory and 0.56 with ``K = M`` (medians, two threads; ``HMBlockOneDNN``
    in ``benchmarks/suite/bench_blocks.py``, best of five: 1.62 and 1.33 times as fast in one
    run, 1.71 and 1.73 in an asv run)."""
    A = torch.cat([W, b[:, None]], dim=1)  # [M, D + 1]
    xa = torch.cat([x, x.new_ones(x.shape[0], 1)], dim=1)  # [N, D + 1]
    e = linear(A, xa, None, "none", [], "")  # [M, N]
    m = e.amax(dim=0, keepdim=True)
    e.sub_(m).clamp_(min=_FLOOR).exp_()
    s = e.sum(dim=0, keepdim=True)  # [1, N]
    return e, s.T, (m + s.log()).squeeze(0)


@torch.no_grad()
def float32_rounding(likelihood, theta):
    """For each row of ``theta``, a bound in nats on what float32 loses in the
    log-likelihoods of data near it.

    The terms ``x . W_j``, ``b_j`` and ``c(x)`` of the exponential-family form are each
    rounded to float32's relative precision and then cancel; for data of the size of the
    likelihood's means their magnitude is ``|b_j| + sum_d |W_jd mean_jd|`` (Gaussian:
    ``1.5 |theta_j|^2 / sigma^2``), so float32 loses more the further ``sigma`` lies below the
    data's spread (2-D scores, against float64: 7.6e-5 nats at 1e-2 of the spread, 0.58 at
    1e-4).
    """
    W, b = likelihood.natural(theta)
    return 2.0**-24 * (b.abs() + (W * likelihood.mean(theta)).abs().sum(-1))


def scoring_dtype(likelihood, theta):
    """float64 where float32 would round the log-likelihoods of data near ``theta`` by more
    than ``_FLOAT32_NATS`` (:func:`float32_rounding`), else float32. The choice depends on
    ``theta`` alone, so a row's score does not depend on the rows scored with it."""
    return torch.float64 if float(float32_rounding(likelihood, theta).max()) > _FLOAT32_NATS else torch.float32


@torch.no_grad()
def log_mean_prob(likelihood, x, theta, block_elements=_BLOCK_ELEMENTS):
    """``log 1/M sum_j p(x_i | theta_j)`` for every row: ``(N, D), (M, D) -> (N,)``.

    Rows are processed in blocks of about ``block_elements`` pairs, so memory stays bounded for
    any N (the N x M matrix is never built). Every block has the same shape (the last one is
    zero-padded): BLAS picks its kernel, and so its rounding, by shape, and a fixed shape makes
    each row's value independent of the rows scored with it, to the last bit.
    """
    W, b = likelihood.natural(theta)
    n = x.shape[0]
    rows = max(1, block_elements // max(1, theta.shape[0]))
    out = torch.empty(n, dtype=x.dtype, device=x.device)
    block = torch.empty(rows, theta.shape[0], dtype=x.dtype, device=x.device)
    for start in range(0, n, rows):
        xb = x[start : start + rows]
        if xb.shape[0] < rows:
            xb = torch.cat([xb, xb.new_zeros(rows - xb.shape[0], xb.shape[1])])
        _, _, lse = _exp_block(xb, W, b, out=block)
        stop = min(n, start + rows)
        out[start:stop] = lse[: stop - start]
    return out + likelihood.base(x) - math.log(theta.shape[0])
