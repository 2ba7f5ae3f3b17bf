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
    params = ["pointwise-block", "dense-gather"]
    param_names = ["block"]

    def setup(self, block):
        G = init_parameters(DCGANGenerator(64, (8, 8, 3)), torch.Generator().manual_seed(0))
        blocks = [m for m in G.body if isinstance(m, _Affine)]
        pointwise = next(m for m in blocks if m.pointwise)
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
