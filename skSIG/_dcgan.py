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


# A banded block (see _bands) runs as bands only where they skip at least this fraction of its
# dense matrix's entries; each band is a matrix product of its own.
_BAND_MIN_SAVING = 0.1


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


def _channels_last(shape):
    """Positions in the ``(C, H, W)`` flattening of ``shape = (C, H, W)`` of the entries of its
    ``(H, W, C)`` flattening."""
    return torch.arange(math.prod(shape)).reshape(shape).permute(1, 2, 0).ravel()


def _bands(pattern, unit):
    """Split the columns of a block's ``(n_in, n_out)`` matrix into bands of ``unit`` columns
    (an output row of pixels), each reading only the contiguous input columns that its
    non-zero entries span; neighbouring bands that span the same inputs are joined.
    ``[(lo, hi, c0, c1)]``: columns ``c0:c1`` are ``x[:, lo:hi] @ A[lo:hi, c0:c1]``. Bands
    that would skip less than ``_BAND_MIN_SAVING`` of the matrix give way to one band, the
    whole matrix: the dense product as it was."""
    n_in, n_out = pattern.shape
    rows = torch.arange(n_in).unsqueeze(1)
    bands = []
    for c0 in range(0, n_out, unit):
        c1 = min(c0 + unit, n_out)
        used = rows.expand(n_in, c1 - c0)[pattern[:, c0:c1]]
        lo, hi = (int(used.min()), int(used.max()) + 1) if used.numel() else (0, 0)
        if bands and bands[-1][:2] == (lo, hi):
            bands[-1] = (lo, hi, bands[-1][2], c1)
        else:
            bands.append((lo, hi, c0, c1))
    if sum((hi - lo) * (c1 - c0) for lo, hi, c0, c1 in bands) > (1 - _BAND_MIN_SAVING) * n_in * n_out:
        return [(0, n_in, 0, n_out)]
    return bands


def _input_segments(bands, n_in):
    """For the input gradient of banded blocks: per band, ``(a, b, beta)`` column segments of
    its ``lo:hi`` (``beta`` 0 where no earlier band has written, 1 where one has), and the input
    columns no band reads (their gradient is zero)."""
    written = torch.zeros(n_in, dtype=torch.bool)
    segments = []
    for lo, hi, _, _ in bands:
        parts, a = [], lo
        for b in range(lo + 1, hi + 1):
            if b == hi or written[b] != written[a]:
                parts.append((a, b, int(written[a])))
                a = b
        written[lo:hi] = True
        segments.append(parts)
    unread, a = [], None
    for b in range(n_in + 1):
        if b < n_in and not written[b]:
            a = b if a is None else a
        elif a is not None:
            unread.append((a, b))
            a = None
    return segments, unread


class _Banded(torch.autograd.Function):
    """``x A + b`` for a dense block's matrix given by bands (see ``_bands``): each band is one
    matrix product over the input columns it reads, so the structural zeros outside the bands
    cost nothing. ``A`` and ``b`` are gathered from the convolution's parameters; the backward
    pass sums their gradients back with ``scatter_add_``. Not twice differentiable (the
    generator's blocks are differentiated once)."""

    @staticmethod
    def forward(ctx, x, weight, bias, plan):
        bands, indices, bias_index, segments, unread = plan
        w = torch.cat([weight.new_zeros(1), weight.detach().ravel()])
        b = torch.cat([weight.new_zeros(1), bias.detach().ravel()]) if bias is not None else w[:1]
        out = b[bias_index].expand(x.shape[0], bias_index.shape[0]).contiguous()
        matrices = [w[index] for index in indices]
        for (lo, hi, c0, c1), A in zip(bands, matrices):
            out[:, c0:c1].addmm_(x[:, lo:hi], A)
        ctx.save_for_backward(x)
        ctx.matrices, ctx.plan = matrices, plan
        ctx.sizes = weight.shape, None if bias is None else bias.shape
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        bands, indices, bias_index, segments, unread = ctx.plan
        weight_shape, bias_shape = ctx.sizes
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.empty_like(x)
            for a, b in unread:
                grad_x[:, a:b] = 0
            for (lo, _, c0, c1), A, parts in zip(bands, ctx.matrices, segments):
                for a, b, beta in parts:
                    grad_x[:, a:b].addmm_(grad[:, c0:c1], A[a - lo : b - lo].T, beta=beta)
        if ctx.needs_input_grad[1]:
            grad_w = grad.new_zeros(math.prod(weight_shape) + 1)
            for (lo, hi, c0, c1), index in zip(bands, indices):
                grad_w.scatter_add_(0, index.ravel(), (x[:, lo:hi].T @ grad[:, c0:c1]).ravel())
            grad_w = grad_w[1:].view(weight_shape)
        if bias_shape is not None and ctx.needs_input_grad[2]:
            grad_b = grad.new_zeros(math.prod(bias_shape) + 1).scatter_add_(0, bias_index, grad.sum(0))
            grad_b = grad_b[1:].view(bias_shape)
        return grad_x, grad_w, grad_b, None


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

    ``banded=True`` (the generator's dense blocks) evaluates the dense matrix by bands of output
    columns (see ``_bands`` and ``_Banded``), each reading only the input columns its non-zero
    entries span. With the maps flattened channels last (``set_layout``), an output row of
    pixels reads only the input rows its kernel reaches: the 8x8 generator's three dense blocks
    then cost 0.75, 0.75 and 0.44 of their dense products.
    """

    def __init__(self, in_shape, *layers, dense=None, banded=False):
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
        self.banded = self.dense and bool(banded)
        self.set_layout(False, False)

    def set_layout(self, in_channels_last, out_channels_last):
        """Whether the block's input and output rows flatten their maps channels last,
        ``(H, W, C)``, rather than as the layers do; a banded block plans its bands for it.
        Only banded and pixel-by-pixel blocks take such maps."""
        if (in_channels_last or out_channels_last) and not (self.banded or self.pointwise):
            raise ValueError("Only banded or pointwise blocks take channels-last maps.")
        self.channels_last = (bool(in_channels_last), bool(out_channels_last))
        if self.banded:
            index, bias_index = self.weight_index, self.bias_index
            if self.channels_last[0]:
                index = index[_channels_last(self.in_shape)]
            if self.channels_last[1]:
                order = _channels_last(self.out_shape)
                index, bias_index = index[:, order], bias_index[order]
            # A band's unit is an output row of pixels, in the output's flattening.
            shape = (*self.out_shape[1:], self.out_shape[0]) if self.channels_last[1] else self.out_shape
            bands = _bands(index > 0, math.prod(shape[1:]) if len(shape) == 3 else index.shape[1])
            self.bands = bands
            self._band_segments = _input_segments(bands, index.shape[0])
            # One buffer, so that the bands' index maps move with the block (``.to(device)``).
            band_index = torch.cat([index[lo:hi, c0:c1].ravel() for lo, hi, c0, c1 in bands])
            self.register_buffer("band_index", band_index, persistent=False)
            self.register_buffer("band_bias_index", bias_index.contiguous(), persistent=False)
        return self

    def _plan(self):
        indices, start = [], 0
        for lo, hi, c0, c1 in self.bands:
            size = (hi - lo) * (c1 - c0)
            indices.append(self.band_index[start : start + size].view(hi - lo, c1 - c0))
            start += size
        return self.bands, indices, self.band_bias_index, *self._band_segments

    @property
    def conv(self):
        """The block's convolution (a property: a second attribute would register it twice)."""
        return self.layers[self.conv_position]

    def __setstate__(self, state):
        super().__setstate__(state)
        if "pointwise" not in self.__dict__:  # pickled before 1x1 blocks ran pixel by pixel
            self.pointwise = not self.dense and len(self.layers) == 1 and _is_pointwise(self.conv)
        if "channels_last" not in self.__dict__:  # pickled before bands: dense, as then
            self.banded = False
            self.channels_last = (False, False)

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
        """A 1x1 convolution as one ``(N * pixels, C_in) @ (C_in, C_out)`` product (with maps
        flattened channels last, the rows are views, not copies)."""
        conv, (n, c) = self.conv, (x.shape[0], self.in_shape[0])
        pixels = math.prod(self.in_shape[1:])
        weight = conv.weight.reshape(conv.weight.shape[:2])  # Conv2d: (out, in); transposed: (in, out)
        weight = weight if isinstance(conv, nn.ConvTranspose2d) else weight.T
        if self.channels_last[0]:
            rows = x.reshape(n * pixels, c)
        else:
            rows = x.reshape(n, c, pixels).transpose(1, 2).reshape(n * pixels, c)
        out = rows @ weight if conv.bias is None else torch.addmm(conv.bias, rows, weight)
        if self.channels_last[1]:
            return out.reshape(n, -1)
        return out.reshape(n, pixels, -1).transpose(1, 2).reshape(n, -1)

    def forward(self, x):
        if self.banded:
            return _Banded.apply(x, self.conv.weight, self.conv.bias, self._plan())
        if self.pointwise:
            return self._per_pixel(x)
        if self.dense:
            A, b = self.matrix()
            return torch.addmm(b, x, A)
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
            _Affine((c1, h0, w0), nn.ConvTranspose2d(c1, c2, 4, stride=2, padding=1), dense=dense, banded=True),
            _ReLU(),
            # A stride-1 transposed convolution is a convolution; SAME keeps the size.
            _Affine((c2, 2 * h0, 2 * w0), _pad(pad_h, pad_w), nn.Conv2d(c2, c3, 4), dense=dense, banded=True),
            _ReLU(),
            # SAME: -> (4 h0, 4 w0), cropped to (H, W) and flattened in (H, W, C) order.
            _Affine(
                (c3, 2 * h0, 2 * w0),
                nn.ConvTranspose2d(c3, C, 4, stride=2, padding=1),
                _Crop(H, W),
                _Permute(0, 2, 3, 1),
                dense=dense,
                banded=True,
            ),
        )
        # Where every block is banded or per pixel (small images), the maps between the blocks
        # are flattened channels last: the 1x1 block's pixel rows are then views, and an output
        # row of a dense block reads only the input rows its kernel reaches (see _Affine).
        blocks = [m for m in self.body if isinstance(m, _Affine)]
        self.channels_last = all(m.banded or m.pointwise for m in blocks)
        if self.channels_last:
            for i, m in enumerate(blocks):
                m.set_layout(True, i < len(blocks) - 1)
            # The fully connected layer's outputs in (h, w, c) order: its weight's rows gathered.
            order = _channels_last(self.start)
            self.register_buffer("fc_order", order, persistent=False)
            self.register_buffer(
                "fc_index", (order.unsqueeze(1) * n_latent + torch.arange(n_latent)), persistent=False
            )

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("channels_last", False)  # pickled before the layout existed

    def forward(self, z):
        if self.channels_last:
            fc = self.fc
            weight = _Gather.apply(fc.weight.ravel(), self.fc_index)
            return self.body(torch.addmm(_Gather.apply(fc.bias, self.fc_order), z, weight.T))
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


def _without_bands(generator):
    """A copy of ``generator`` whose dense blocks run as one matrix product each over maps
    flattened as the layers flatten them: the evaluation before bands (for comparisons)."""
    generator = copy.deepcopy(generator)
    for block in generator.body:
        if isinstance(block, _Affine):
            block.banded = False
            block.set_layout(False, False)
    generator.channels_last = False
    return generator
