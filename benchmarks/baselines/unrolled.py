"""Unrolled GAN (Metz et al., 2017): the generator sees the discriminator k steps ahead."""

import torch
import torch.nn.functional as F
from torch.func import functional_call

from ._base import DISC_HIDDEN, Baseline


class UnrolledGAN(Baseline):
    """GAN whose generator loss uses the discriminator after ``unrolling_steps`` SGD steps.

    The unrolled steps are differentiated through (``create_graph=True``), so the generator
    anticipates how the discriminator will react; the discriminator itself takes one Adam
    step per iteration as in a plain GAN.

    Parameters
    ----------
    unrolling_steps : int, default=5
        Number of look-ahead discriminator steps (Metz et al. use 5 on this data).
    unrolling_lr : float, default=1e-2
        SGD step size of the look-ahead steps.
    **kwargs
        Those of :class:`~benchmarks.baselines._base.Baseline`.
    """

    def __init__(self, unrolling_steps=5, unrolling_lr=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.unrolling_steps = unrolling_steps
        self.unrolling_lr = unrolling_lr

    def _build(self, n_features):
        self.discriminator_ = self._net(n_features, 1, DISC_HIDDEN)
        self.opt_g_ = self._adam(self.generator_)
        self.opt_d_ = self._adam(self.discriminator_)

    def _d_loss(self, params, x, fake):
        real_logit = functional_call(self.discriminator_, params, (x,))
        fake_logit = functional_call(self.discriminator_, params, (fake,))
        return F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit)) + (
            F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit)))

    def _step(self, x):
        params = dict(self.discriminator_.named_parameters())
        fake = self.generator_(self._noise(len(x)))
        loss_d = self._d_loss(params, x, fake.detach())
        self.opt_d_.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d_.step()

        params = {k: v.detach().requires_grad_() for k, v in self.discriminator_.named_parameters()}
        unrolled = params
        for _ in range(self.unrolling_steps):
            grads = torch.autograd.grad(self._d_loss(unrolled, x, fake), list(unrolled.values()),
                                        create_graph=True)
            unrolled = {k: v - self.unrolling_lr * g for (k, v), g in zip(unrolled.items(), grads)}
        logit = functional_call(self.discriminator_, unrolled, (fake,))
        loss_g = F.binary_cross_entropy_with_logits(logit, torch.ones_like(logit))
        self.opt_g_.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g_.step()
        return loss_g.item()
