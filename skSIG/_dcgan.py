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

import math

from torch import nn

# (K_g, K_d) of the sizes S, M, L (Appendix C).
SIZES = {"S": (1, 0.5), "M": (1, 1), "L": (2, 1)}


def _same(size, kernel, stride):
    """TensorFlow ``SAME`` padding: ``(before, after)`` and the output size ``ceil(size/stride)``."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return (total // 2, total - total // 2), out


def _pad(h, w):
    """``nn.ZeroPad2d`` from per-axis ``(before, after)`` pairs."""
    return nn.ZeroPad2d((w[0], w[1], h[0], h[1]))


def _channels_first(x, image_shape):
    """``(N, H*W*C) -> (N, C, H, W)``."""
    return x.reshape(-1, *image_shape).permute(0, 3, 1, 2)


class DCGANGenerator(nn.Module):
    """``z: (N, n_latent) -> (N, H*W*C)``, images flattened in ``(H, W, C)`` order.

    Fully connected to 64 maps, then transposed convolutions of ``64 K_g``, ``32 K_g``
    (stride 2), ``8 K_g`` (stride 1, ``SAME``) and ``C`` (stride 2) channels with ReLUs between.
    The output is linear; the estimator's ``Transform`` scales it to the data.
    """

    def __init__(self, n_latent, image_shape, k_g=1):
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
            nn.ReLU(),
            nn.ConvTranspose2d(64, c1, (h0 - fh + 1, w0 - fw + 1)),  # VALID: -> (h0, w0)
            nn.ReLU(),
            nn.ConvTranspose2d(c1, c2, 4, stride=2, padding=1),  # SAME: -> (2 h0, 2 w0)
            nn.ReLU(),
            # A stride-1 transposed convolution is a convolution; SAME keeps the size.
            _pad(pad_h, pad_w),
            nn.Conv2d(c2, c3, 4),
            nn.ReLU(),
            nn.ConvTranspose2d(c3, C, 4, stride=2, padding=1),  # SAME: -> (4 h0, 4 w0)
        )

    def forward(self, z):
        H, W, _ = self.image_shape
        x = self.body(self.fc(z).reshape(-1, *self.start))[:, :, :H, :W]  # [N, C, H, W]
        return x.permute(0, 2, 3, 1).reshape(z.shape[0], -1)


class DCGANDiscriminator(nn.Module):
    """``x: (N, H*W*C) -> (N,)`` logits (or critic values).

    Convolutions of ``8 K_d`` (stride 2, ``VALID``), ``16 K_d`` (stride 2, ``SAME``) and
    ``32 K_d`` (stride 1, ``SAME``) channels with LeakyReLU(0.2), then one linear unit. No
    batch normalisation, so the same network serves as a WGAN-GP critic.
    """

    def __init__(self, image_shape, k_d=1):
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
            nn.Conv2d(C, c1, 4, stride=2),
            nn.LeakyReLU(0.2),
            _pad(pad2_h, pad2_w),
            nn.Conv2d(c1, c2, 4, stride=2),
            nn.LeakyReLU(0.2),
            _pad(pad3_h, pad3_w),
            nn.Conv2d(c2, c3, 4),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(c3 * h2 * w2, 1),
        )

    def forward(self, x):
        return self.net(_channels_first(x, self.image_shape)).squeeze(-1)
