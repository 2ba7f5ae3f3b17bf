"""DCGAN generator and discriminator for images given as flattened ``(H, W, C)`` rows.

After the paper's Appendix C (MNIST-3), with widths scaled by ``K_g`` and ``K_d``. The table
there is garbled in two places that this module reads as follows: the discriminator's rows say
"Transpose Convolution" but are strided convolutions (they shrink 28 -> 13 -> 7), and the
generator's last row says "Convolution" with stride 2, which would give 7x7 images; a
transposed convolution gives the 28x28 the table is for. TensorFlow's ``SAME`` padding is
reproduced with explicit (possibly asymmetric) zero padding.

Other image sizes keep the same layers: the generator starts from ``ceil(H/4) x ceil(W/4)``
(reached from the table's 4x4 by its stride-1 ``VALID`` layer, whose kernel adapts; for
images below 16 pixels the start is smaller than 4x4 and that kernel is 1x1) and crops the
``4 * ceil(H/4)`` output to ``H``.
"""

import copy
import math

import torch
from torch import nn
from torch.autograd.function import once_differentiable

# (K_g, K_d) of the sizes S, M, L (Appendix C).
SIZES = {"S": (1, 0.5), "M": (1, 1), "L": (2, 1)}

# A convolution block whose dense matrix has at most this many entries runs as one matrix
# product (see _Affine). The 8x8 networks of sizes S and M are below it (largest 256 x 512);
# the 28x28 networks' blocks are above it and run as convolutions.
DENSE_MAX_ENTRIES = 1 << 18


def _same(size, kernel, stride):
    """TensorFlow ``SAME`` padding: ``(before, after)`` and the output size ``ceil(size/stride)``."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return (total // 2, total - total // 2), out


def _is_pointwise(conv):
    """Whether ``conv`` maps each pixel alone (1x1 kernel, stride 1, no padding, one group)."""
    return (
        isinstance(conv, (nn.Conv2d, nn.ConvTranspose2d))
        and all(k == 1 for k in conv.kernel_size)
        and all(s == 1 for s in conv.stride)
        and all(p == 0 for p in conv.padding)
        and all(d == 1 for d in conv.dilation)
        and all(p == 0 for p in getattr(conv, "output_padding", (0,)))
        and conv.groups == 1
        and conv.padding_mode == "zeros"
    )


def _pad(h, w):
    """``nn.ZeroPad2d`` from per-axis ``(before, after)`` pairs."""
    return nn.ZeroPad2d((w[0], w[1], h[0], h[1]))


class _Permute(nn.Module):
    """``x.permute(*dims)``: between ``(H, W, C)`` rows and torch's ``(C, H, W)`` maps."""

    def __init__(self, *dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(*self.dims)


class _Crop(nn.Module):
    """Keep the top-left ``height x width`` pixels of ``(N, C, H, W)`` maps."""

    def __init__(self, height, width):
        super().__init__()
        self.height, self.width = height, width

    def forward(self, x):
        return x[:, :, : self.height, : self.width]


class _Gather(torch.autograd.Function):
    """``source[index]`` for a 1-D ``source``, whose backward sums the gradient into place
    with ``scatter_add_``. Autograd's own backward of the indexing, ``index_put_`` with
    ``accumulate=True``, took 2.5 ms for the 256 x 512 matrix of the size-M generator's
    largest block on two CPU threads (0.7 ms on one); ``scatter_add_`` 0.5 ms (0.3 ms)."""

    @staticmethod
    def forward(ctx, source, index):
        ctx.save_for_backward(index)
        ctx.size = source.shape[0]
        return source[index]

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        return grad.new_zeros(ctx.size).scatter_add_(0, index.ravel(), grad.ravel()), None


class _ReLUFunction(torch.autograd.Function):
    """``relu(x)`` written over ``x``, whose backward masks the incoming gradient in place.

    The same values and gradients to the bit as ``nn.ReLU`` (both are ``clamp_min(x, 0)``
    and ``threshold_backward(grad, relu(x), 0)``), without two fresh tensors of the
    activations' size per layer. On the size-M 8x8 generator at 4096 images the largest
    activation is 8 MiB: the fresh buffers' page faults and cold writes made its ReLU's forward
    and backward 5-14 ms each on one CPU thread, against under 1 ms for the same pass over
    memory already in use. The generator's forward and backward pass runs 1.13-1.15 times as
    fast (``GeneratorInPlaceReLU`` in ``benchmarks/suite/bench_blocks.py``, one and two threads).

    Used only between the generator's blocks, where ``x`` is a block's fresh output that its
    backward does not need, and the incoming gradient is the next block's fresh input
    gradient, needed by nothing else. A gradient that is not contiguous (possibly expanded,
    with elements sharing memory) is masked out of place.
    """

    @staticmethod
    def forward(ctx, x):
        ctx.mark_dirty(x)
        ctx.save_for_backward(x.clamp_min_(0))
        return x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if not grad.is_contiguous():
            return torch.ops.aten.threshold_backward(grad, out, 0)
        return torch.ops.aten.threshold_backward.grad_input(grad, out, 0, grad_input=grad)


class _ReLU(nn.Module):
    """``nn.ReLU`` in place, forward and backward (see ``_ReLUFunction``); not twice
    differentiable."""

    def forward(self, x):
        return _ReLUFunction.apply(x)


class _Affine(nn.Module):
    """An affine block (padding, one convolution, cropping) between flattened feature maps.

    ``x: (N, prod(in_shape)) -> (N, prod(out_shape))``. On small maps the block is evaluated
    as the dense matrix it is, ``x A + b``, and the batch costs one ``addmm``. Every entry of
    ``A`` is either zero or one weight of the convolution (an input and an output pixel are
    joined by at most one kernel offset), and every entry of ``b`` one of its biases, so both
    are gathered from the parameters through index maps found once, here: the layers are run
    in float64 on the unit vectors with the weights (then the biases) set to their own
    1-based positions. Gradients reach the parameters through the gather (a scatter-add).
    The same function, computed in another order: on 8x8 images a convolution over a 2x2 to
    8x8 map is mostly overhead, and the dense form ran the DCGAN discriminator's forward and
    backward pass 3.5x faster on a CPU (1536 images, 11.3 ms -> 3.3 ms); gathering ``A``
    rather than convolving the unit vectors every step took a further quarter off a size-M
    DCGAN-SI step. ``dense=None`` chooses it when the matrix has at most
    ``DENSE_MAX_ENTRIES`` entries and the convolution is not 1x1.

    A block that is nothing but a 1x1 convolution (stride 1, no padding) and is not dense
    runs as one matrix product of the ``(N * pixels, C_in)`` pixel rows with the
    ``(C_in, C_out)`` weight: for the size-M 8x8 generator's 2x2 block and 2048 images its
    forward and backward pass took 9 ms on two CPU threads (16 ms on one) against 16 ms (26 ms)
    as torch's convolution (both with a 2.5 ms (3.4 ms) copy of the input; an AVX2-only AMD
    EPYC). Larger blocks run as the convolution itself.
    """

    def __init__(self, in_shape, *layers, dense=None):
        super().__init__()
        self.in_shape = tuple(in_shape)
        self.layers = nn.Sequential(*layers)
        with torch.no_grad():
            self.out_shape = tuple(self.layers(torch.zeros(1, *self.in_shape)).shape[1:])
        convs = [i for i, m in enumerate(self.layers) if isinstance(m, nn.modules.conv._ConvNd)]
        if len(convs) != 1:
            raise ValueError(f"_Affine needs exactly one convolution, got {len(convs)}.")
        self.conv_position = convs[0]
        if dense is None:
            # A 1x1 convolution acts on each pixel alone: its dense matrix would be mostly
            # zeros (size-M 8x8 DCGAN-SI step on 2 threads: 19.0 ms with that block as a
            # convolution, 21.3 ms dense).
            kernel_1x1 = math.prod(self.conv.kernel_size) == 1
            dense = not kernel_1x1 and math.prod(self.in_shape) * math.prod(self.out_shape) <= DENSE_MAX_ENTRIES
        self.dense = bool(dense)
        self.pointwise = not self.dense and len(self.layers) == 1 and _is_pointwise(self.conv)
        if self.dense:
            weight_index, bias_index = self._index_maps()
            # Not saved with the parameters: rebuilt from the layers whenever the block is.
            self.register_buffer("weight_index", weight_index, persistent=False)
            self.register_buffer("bias_index", bias_index, persistent=False)

    @property
    def conv(self):
        """The block's convolution (a property: a second attribute would register it twice)."""
        return self.layers[self.conv_position]

    def __setstate__(self, state):
        super().__setstate__(state)
        if "pointwise" not in self.__dict__:  # pickled before 1x1 blocks ran pixel by pixel
            self.pointwise = not self.dense and len(self.layers) == 1 and _is_pointwise(self.conv)

    @torch.no_grad()
    def _index_maps(self):
        """``(n_in, n_out)`` and ``(n_out,)`` positions into ``[0, weight.ravel()]`` and
        ``[0, bias.ravel()]`` (0: a structural zero)."""
        layers = copy.deepcopy(self.layers).double()
        conv = layers[self.conv_position]
        n = math.prod(self.in_shape)
        basis = torch.eye(n, dtype=torch.float64).reshape(n, *self.in_shape)
        zero = torch.zeros(1, *self.in_shape, dtype=torch.float64)
        has_bias = conv.bias is not None
        conv.weight.copy_(torch.arange(1, conv.weight.numel() + 1).reshape(conv.weight.shape))
        if has_bias:
            conv.bias.zero_()
        weight_index = layers(basis).flatten(1)
        if has_bias:
            conv.weight.zero_()
            conv.bias.copy_(torch.arange(1, conv.bias.numel() + 1, dtype=torch.float64))
            bias_index = layers(zero).flatten(1)[0]
        else:
            bias_index = torch.zeros(weight_index.shape[1], dtype=torch.float64)
        # Each entry must be a single weight: a sum of several would not be an integer
        # position in range, or would differ from the convolution on random weights. Those
        # come from a generator of their own: the check is the same on every build and leaves
        # torch's global random state alone.
        gen = torch.Generator().manual_seed(0)
        conv.weight.normal_(generator=gen)
        if has_bias:
            conv.bias.normal_(generator=gen)
        w = torch.cat([conv.weight.new_zeros(1), conv.weight.ravel()])
        b = torch.cat([conv.weight.new_zeros(1), conv.bias.ravel() if has_bias else conv.weight.new_zeros(0)])
        ok = (
            bool((weight_index == weight_index.round()).all())
            and float(weight_index.max()) <= conv.weight.numel()
            and torch.allclose(w[weight_index.long()], layers(basis).flatten(1) - layers(zero).flatten(1))
            and torch.allclose(b[bias_index.long()], layers(zero).flatten(1)[0])
        )
        if not ok:
            raise ValueError("_Affine's layers are not a convolution with one weight per matrix entry.")
        return weight_index.long(), bias_index.long()

    def matrix(self):
        """The dense block's ``A: (n_in, n_out)`` and ``b: (n_out,)``, gathered from the
        convolution's parameters (differentiably)."""
        zero = self.conv.weight.new_zeros(1)
        weight = torch.cat([zero, self.conv.weight.ravel()])
        bias = zero if self.conv.bias is None else torch.cat([zero, self.conv.bias])
        return _Gather.apply(weight, self.weight_index), _Gather.apply(bias, self.bias_index)

    def _per_pixel(self, x):
        """A 1x1 convolution as one ``(N * pixels, C_in) @ (C_in, C_out)`` product."""
        conv, (n, c) = self.conv, (x.shape[0], self.in_shape[0])
        pixels = math.prod(self.in_shape[1:])
        weight = conv.weight.reshape(conv.weight.shape[:2])  # Conv2d: (out, in); transposed: (in, out)
        weight = weight if isinstance(conv, nn.ConvTranspose2d) else weight.T
        rows = x.reshape(n, c, pixels).transpose(1, 2).reshape(n * pixels, c)
        out = rows @ weight if conv.bias is None else torch.addmm(conv.bias, rows, weight)
        return out.reshape(n, pixels, -1).transpose(1, 2).reshape(n, -1)

    def forward(self, x):
        if self.dense:
            A, b = self.matrix()
            return torch.addmm(b, x, A)
        if self.pointwise:
            return self._per_pixel(x)
        return self.layers(x.reshape(-1, *self.in_shape)).flatten(1)


class DCGANGenerator(nn.Module):
    """``z: (N, n_latent) -> (N, H*W*C)``, images flattened in ``(H, W, C)`` order.

    Fully connected to 64 maps, then transposed convolutions of ``64 K_g``, ``32 K_g``
    (stride 2), ``8 K_g`` (stride 1, ``SAME``) and ``C`` (stride 2) channels with ReLUs between.
    The output is linear; the estimator's ``Transform`` scales it to the data. ``dense``
    chooses how the convolution blocks run (see ``_Affine``; ``None``: by size).
    """

    def __init__(self, n_latent, image_shape, k_g=1, dense=None):
        super().__init__()
        self.image_shape = tuple(image_shape)
        H, W, C = self.image_shape
        h0, w0 = math.ceil(H / 4), math.ceil(W / 4)
        fh, fw = min(4, h0), min(4, w0)
        c1, c2, c3 = int(64 * k_g), int(32 * k_g), int(8 * k_g)
        self.start = (64, fh, fw)
        self.fc = nn.Linear(n_latent, 64 * fh * fw)
        pad_h, _ = _same(2 * h0, 4, 1)
        pad_w, _ = _same(2 * w0, 4, 1)
        self.body = nn.Sequential(
            _ReLU(),
            # VALID: -> (h0, w0)
            _Affine(self.start, nn.ConvTranspose2d(64, c1, (h0 - fh + 1, w0 - fw + 1)), dense=dense),
            _ReLU(),
            # SAME: -> (2 h0, 2 w0)
            _Affine((c1, h0, w0), nn.ConvTranspose2d(c1, c2, 4, stride=2, padding=1), dense=dense),
            _ReLU(),
            # A stride-1 transposed convolution is a convolution; SAME keeps the size.
            _Affine((c2, 2 * h0, 2 * w0), _pad(pad_h, pad_w), nn.Conv2d(c2, c3, 4), dense=dense),
            _ReLU(),
            # SAME: -> (4 h0, 4 w0), cropped to (H, W) and flattened in (H, W, C) order.
            _Affine(
                (c3, 2 * h0, 2 * w0),
                nn.ConvTranspose2d(c3, C, 4, stride=2, padding=1),
                _Crop(H, W),
                _Permute(0, 2, 3, 1),
                dense=dense,
            ),
        )

    def forward(self, z):
        return self.body(self.fc(z))


class DCGANDiscriminator(nn.Module):
    """``x: (N, H*W*C) -> (N,)`` logits (or critic values).

    Convolutions of ``8 K_d`` (stride 2, ``VALID``), ``16 K_d`` (stride 2, ``SAME``) and
    ``32 K_d`` (stride 1, ``SAME``) channels with LeakyReLU(0.2), then one linear unit. No
    batch normalisation, so the same network serves as a WGAN-GP critic. ``dense`` as for
    :class:`DCGANGenerator`.
    """

    def __init__(self, image_shape, k_d=1, dense=None):
        super().__init__()
        self.image_shape = tuple(image_shape)
        H, W, C = self.image_shape
        if H < 4 or W < 4:
            raise ValueError(f"DCGAN needs images of at least 4x4 pixels, got image_shape={image_shape!r}.")
        c1, c2, c3 = int(8 * k_d), int(16 * k_d), int(32 * k_d)
        h1, w1 = (H - 4) // 2 + 1, (W - 4) // 2 + 1
        pad2_h, h2 = _same(h1, 4, 2)
        pad2_w, w2 = _same(w1, 4, 2)
        pad3_h, _ = _same(h2, 4, 1)
        pad3_w, _ = _same(w2, 4, 1)
        self.net = nn.Sequential(
            _Affine(self.image_shape, _Permute(0, 3, 1, 2), nn.Conv2d(C, c1, 4, stride=2), dense=dense),
            nn.LeakyReLU(0.2),
            _Affine((c1, h1, w1), _pad(pad2_h, pad2_w), nn.Conv2d(c1, c2, 4, stride=2), dense=dense),
            nn.LeakyReLU(0.2),
            _Affine((c2, h2, w2), _pad(pad3_h, pad3_w), nn.Conv2d(c2, c3, 4), dense=dense),
            nn.LeakyReLU(0.2),
            nn.Linear(c3 * h2 * w2, 1),
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)
