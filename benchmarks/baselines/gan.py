"""Vanilla GAN (Goodfellow et al., 2014) with the non-saturating generator loss."""

import torch
import torch.nn.functional as F

from ._base import DISC_HIDDEN, Baseline


class GAN(Baseline):
    """Generator ``G(z)`` against a discriminator ``D(x)`` of one hidden layer of 100.

    Parameters are those of :class:`~benchmarks.baselines._base.Baseline`.
    """

    def _build(self, n_features):
        self.discriminator_ = self._net(n_features, 1, DISC_HIDDEN)
        self.opt_g_ = self._adam(self.generator_)
        self.opt_d_ = self._adam(self.discriminator_)

    def _step(self, x):
        fake = self.generator_(self._noise(len(x)))
        real_logit, fake_logit = self.discriminator_(x), self.discriminator_(fake.detach())
        loss_d = F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit)) + (
            F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit)))
        self.opt_d_.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d_.step()

        logit = self.discriminator_(fake)
        loss_g = F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))
        self.opt_g_.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g_.step()
        return loss_g.item()
