"""asv: the 8x8 DCGAN's blocks against the torch operations they replace, in the same run.

- the generator's 1x1 block (2x2 maps, 64 -> 64 channels) as one matrix product over the pixel
  rows, against torch's convolution of the same layer;
- the dense blocks' gather of ``A`` from the weights, whose backward sums with ``scatter_add_``,
  against autograd's own indexing (backward: ``index_put_`` with ``accumulate=True``).

Forward and backward pass of a 2048-image batch (size M's default ``M``); ``track_`` gives the
peer's time over ours (above 1: ours is faster), from the best of several alternating repeats.
"""

import math
import time

import torch

from skSIG._dcgan import DCGANGenerator, _Affine, _Gather
from skSIG._networks import init_parameters

N_IMAGES = 2048


def _best_pair(ours, peer, repeat=5, number=5):
    """Best-of-``repeat`` seconds of ``number`` calls each, alternating the two functions."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, fn in enumerate((ours, peer)):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


class DCGANBlocks:
    timeout = 300

    def setup(self):
        G = init_parameters(DCGANGenerator(64, (8, 8, 3)), torch.Generator().manual_seed(0))
        blocks = [m for m in G.body if isinstance(m, _Affine)]
        self.pointwise = next(m for m in blocks if m.pointwise)
        self.dense = max((m for m in blocks if m.dense), key=lambda m: m.weight_index.numel())
        gen = torch.Generator().manual_seed(1)
        self.x = torch.randn(N_IMAGES, math.prod(self.pointwise.in_shape), generator=gen)
        self.grad_A = torch.randn(self.dense.weight_index.shape, generator=gen)
        self.source = torch.cat([torch.zeros(1), self.dense.conv.weight.detach().ravel()]).requires_grad_(True)

    def _pointwise_ours(self):
        x = self.x.clone().requires_grad_(True)
        self.pointwise(x).sum().backward()

    def _pointwise_convolution(self):
        x = self.x.clone().requires_grad_(True)
        self.pointwise.layers(x.reshape(-1, *self.pointwise.in_shape)).sum().backward()

    def _gather_ours(self):
        (_Gather.apply(self.source, self.dense.weight_index) * self.grad_A).sum().backward()

    def _gather_autograd(self):
        (self.source[self.dense.weight_index] * self.grad_A).sum().backward()

    def time_pointwise_block(self):
        self._pointwise_ours()

    def time_pointwise_block_as_convolution(self):
        self._pointwise_convolution()

    def track_pointwise_block_speedup(self):
        ours, peer = _best_pair(self._pointwise_ours, self._pointwise_convolution)
        return peer / ours

    track_pointwise_block_speedup.unit = "x"

    def time_dense_gather(self):
        self._gather_ours()

    def time_dense_gather_autograd_indexing(self):
        self._gather_autograd()

    def track_dense_gather_speedup(self):
        ours, peer = _best_pair(self._gather_ours, self._gather_autograd)
        return peer / ours

    track_dense_gather_speedup.unit = "x"
