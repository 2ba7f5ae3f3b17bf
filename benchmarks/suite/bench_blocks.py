"""asv: our fused blocks against the torch operations they replace, in the same run.

The 8x8 DCGAN's blocks:

- the generator's 1x1 block (2x2 maps, 64 -> 64 channels) as one matrix product over the pixel
  rows, against torch's convolution of the same layer;
- the dense blocks' gather of ``A`` from the weights, whose backward sums with ``scatter_add_``,
  against autograd's own indexing (backward: ``index_put_`` with ``accumulate=True``).

Forward and backward pass of a 2048-image batch (the ``M`` of sizes S and L; size M draws 4096).

The size-M generator's dense blocks by bands over channels-last maps (``_Banded``), against the
same blocks as one dense matrix product each over the layers' own maps (``_without_bands``, the
evaluation before bands): the whole generator's forward and backward pass on 4096 images, medians
as below.

The size-M generator's ReLUs in place, forward and backward (``_ReLU``), against ``nn.ReLU``:
the whole generator's forward and backward pass on 4096 images, as in a size-M step. Its
``track_`` takes medians rather than the best repeat: what the in-place ReLU spares is fresh
memory, whose cost (page faults, cold writes) comes and goes with what the allocator kept.

GAN-SI's closed-form H_M value and gradient (``gaussian_hm_and_grad``), whose gradient product
is taken as ``(D + 1, M)`` up to ``_THIN_GRAD_MAX_D`` features and as ``(M, D + 1)`` above,
against the other layout: on 2-D data (the 25-Gaussian grid, ``N=512``, ``M=1024``) and on
192-D data (the stacked digits, ``M=2048``).

The same H_M value and gradient on the stacked digits with ``M=4096`` (and with ``hm_memory=1``'s
further 4096 columns): the default transposed block through oneDNN against the block through
MKL that ``SKSIG_ONEDNN=0`` selects (``HMBlockOneDNN``; skipped where torch has no oneDNN).

``track_`` gives the peer's time over ours (above 1: ours is faster), from the best of several
alternating repeats unless said otherwise.
"""

import copy
import math
import os
import statistics
import time
from unittest import mock

import torch

from skSIG import _hm
from skSIG._dcgan import DCGANGenerator, _Affine, _Gather, _ReLU, _without_bands
from skSIG._networks import init_parameters

N_IMAGES = 2048


def _pair_times(ours, peer, repeat, number):
    """Seconds of ``number`` calls each, ``repeat`` times, alternating the two functions (and
    which goes first)."""
    times = ([], [])
    for r in range(repeat):
        for i in (0, 1) if r % 2 == 0 else (1, 0):
            fn = (ours, peer)[i]
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times[i].append(time.perf_counter() - start)
    return times


def _best_pair(ours, peer, repeat=5, number=5):
    """Best-of-``repeat`` seconds of ``number`` calls each, alternating the two functions."""
    return [min(t) for t in _pair_times(ours, peer, repeat, number)]


class DCGANBlocks:
    timeout = 300
    params = ["pointwise-block", "dense-gather"]
    param_names = ["block"]

    def setup(self, block):
        G = init_parameters(DCGANGenerator(64, (8, 8, 3)), torch.Generator().manual_seed(0))
        blocks = [m for m in G.body if isinstance(m, _Affine)]
        # Over the layers' own maps, as the convolution it is timed against sees them.
        pointwise = copy.deepcopy(next(m for m in blocks if m.pointwise)).set_layout(False, False)
        dense = max((m for m in blocks if m.dense), key=lambda m: m.weight_index.numel())
        gen = torch.Generator().manual_seed(1)
        x = torch.randn(N_IMAGES, math.prod(pointwise.in_shape), generator=gen)
        grad_A = torch.randn(dense.weight_index.shape, generator=gen)
        source = torch.cat([torch.zeros(1), dense.conv.weight.detach().ravel()]).requires_grad_(True)

        def pointwise_pass(layer):
            x_ = x.clone().requires_grad_(True)
            layer(x_).sum().backward()

        self.ours, self.peer = {
            "pointwise-block": (
                lambda: pointwise_pass(pointwise),
                lambda: pointwise_pass(lambda x_: pointwise.layers(x_.reshape(-1, *pointwise.in_shape))),
            ),
            "dense-gather": (
                lambda: (_Gather.apply(source, dense.weight_index) * grad_A).sum().backward(),
                lambda: (source[dense.weight_index] * grad_A).sum().backward(),
            ),
        }[block]

    def time_ours(self, block):
        self.ours()

    def time_torch_peer(self, block):
        self.peer()

    def track_speedup(self, block):
        ours, peer = _best_pair(self.ours, self.peer)
        return peer / ours

    track_speedup.unit = "x"


class HMGradientLayout:
    timeout = 300
    params = ["grid-2d", "digits-192d"]
    param_names = ["data"]

    def setup(self, data):
        n_features, M = {"grid-2d": (2, 1024), "digits-192d": (192, 2048)}[data]
        gen = torch.Generator().manual_seed(0)
        x, theta = torch.randn(512, n_features, generator=gen), torch.randn(M, n_features, generator=gen)
        buffer = torch.empty(512, M)
        ours_thin = n_features <= _hm._THIN_GRAD_MAX_D

        def run(thin):
            limit = _hm._THIN_GRAD_MAX_D
            _hm._THIN_GRAD_MAX_D = n_features if thin else n_features - 1
            try:
                _hm.gaussian_hm_and_grad(1.0, x, theta, out=buffer)
            finally:
                _hm._THIN_GRAD_MAX_D = limit

        self.ours, self.peer = (lambda: run(ours_thin)), (lambda: run(not ours_thin))

    def time_ours(self, data):
        self.ours()

    def time_other_layout(self, data):
        self.peer()

    def track_speedup(self, data):
        ours, peer = _best_pair(self.ours, self.peer)
        return peer / ours

    track_speedup.unit = "x"


class HMBlockOneDNN:
    """GAN-SI's H_M value and gradient on the stacked digits (``N=512``, ``M=4096``, 192-D; with
    ``hm_memory=1`` another 4096 columns), the default transposed block through oneDNN against
    the block through MKL (``SKSIG_ONEDNN=0``; ``track_speedup``: MKL's time over oneDNN's)."""

    timeout = 300
    params = ["hm_memory=0", "hm_memory=1"]
    param_names = ["memory"]

    def setup(self, memory):
        with mock.patch.dict(os.environ, {"SKSIG_ONEDNN": "1"}):
            if _hm._onednn_linear() is None:
                raise NotImplementedError("torch built without oneDNN")
        gen = torch.Generator().manual_seed(0)
        x, theta = torch.rand(512, 192, generator=gen), torch.rand(4096, 192, generator=gen)
        extra = theta + 0.01 * torch.randn(4096, 192, generator=gen) if memory == "hm_memory=1" else None
        buffer = torch.empty(512, 4096 if extra is None else 8192)

        def run(flag):
            with mock.patch.dict(os.environ, {"SKSIG_ONEDNN": flag}):
                _hm.gaussian_hm_and_grad(0.1, x, theta, out=buffer, memory=extra)

        self.mkl, self.onednn = (lambda: run("0")), (lambda: run("1"))

    def time_mkl(self, memory):
        self.mkl()

    def time_onednn(self, memory):
        self.onednn()

    def track_speedup(self, memory):
        ours, peer = _best_pair(self.onednn, self.mkl)
        return peer / ours

    track_speedup.unit = "x"


class _GeneratorPass:
    """The size-M generator's forward and backward pass on 4096 images: ours against
    ``peer(ours)``; ``track_speedup`` from the medians of alternating repeats."""

    timeout = 300

    @staticmethod
    def peer(ours):
        raise NotImplementedError

    def setup(self):
        ours = init_parameters(DCGANGenerator(64, (8, 8, 3)), torch.Generator().manual_seed(0))
        peer = self.peer(ours)
        gen = torch.Generator().manual_seed(1)
        z = torch.randn(2 * N_IMAGES, 64, generator=gen)
        grad = torch.randn(2 * N_IMAGES, 8 * 8 * 3, generator=gen)
        self.ours, self.other = (lambda: ours(z).backward(grad)), (lambda: peer(z).backward(grad))

    def time_ours(self):
        self.ours()

    def track_speedup(self):
        ours, peer = _pair_times(self.ours, self.other, repeat=12, number=2)
        return statistics.median(peer) / statistics.median(ours)

    track_speedup.unit = "x"


class GeneratorBands(_GeneratorPass):
    peer = staticmethod(_without_bands)

    def time_dense(self):
        self.other()


class GeneratorInPlaceReLU(_GeneratorPass):
    @staticmethod
    def peer(ours):
        peer = copy.deepcopy(ours)
        for i, m in enumerate(peer.body):
            if isinstance(m, _ReLU):
                peer.body[i] = torch.nn.ReLU()
        return peer

    def time_nn_relu(self):
        self.other()
