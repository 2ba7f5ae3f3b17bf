"""GANSIEstimator: a GAN whose generator is regularised by the SIG bound H_M (paper section 3)."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Literal, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseSemiImplicit, _layer_sizes
from ._dcgan import SIZES, DCGANDiscriminator, DCGANGenerator
from ._hm import gaussian_hm_and_grad
from ._networks import MLP, Transform, adam, init_parameters

# Weight of the WGAN-GP gradient penalty (Gulrajani et al., 2017).
_GP_WEIGHT = 10.0
# Decay of the running gradient-norm ratio behind ``lam="auto"`` (a ~100-step window).
_AUTO_DECAY = 0.99
# Logits of D are clamped to +-this in the GAN losses (see _step).
_LOGIT_LIMIT = 60.0


class _Discriminator(nn.Module):
    """``x: (N, D) -> (N,)`` logits of ``D(x)`` (or critic values): ``net(x / spread)``.

    Inputs are the centred coordinates of the data divided by one scalar, the data's spread,
    so the network sees unit-scale inputs without distorting images pixel by pixel.
    """

    def __init__(self, net, spread):
        super().__init__()
        self.net = net
        self.register_buffer("spread", torch.tensor(float(spread)))

    def forward(self, x):
        return self.net(x / self.spread).reshape(x.shape[0])


class GANSIEstimator(BaseSemiImplicit):
    """GAN with a semi-implicit regulariser (GAN-SI): adversarial training plus the SIG bound.

    The generator ``theta = T_phi(z)``, ``z ~ N(0, I)`` is trained against a discriminator
    ``D_gamma`` and, at the same time, as the implicit mixing distribution of the SIG model
    ``x ~ N(theta, sigma^2 I)`` (paper section 3, Algorithm 1). Each step draws ``N`` data
    rows and ``M`` generated ``theta_j``; the same ``theta_j`` feed both losses:

    - discriminator (eq. 11): ``-1/N sum_i log D(x_i) - 1/M sum_j log(1 - D(theta_j))``;
    - generator (eq. 12): ``-1/M sum_j log D(theta_j) + lam * H_M`` with
      ``H_M = -1/N sum_i log 1/M sum_j N(x_i; theta_j, sigma^2 I)`` (eq. 6).

    Both gradients are taken at the current parameters and applied together with Adam
    (``beta_1 = 0.5``). ``lam=0`` is the plain GAN with the same networks and budget. With
    ``loss="wgan-gp"`` the discriminator is a WGAN-GP critic (gradient penalty 10) and the
    generator minimises ``-1/M sum_j C(theta_j) + lam * H_M`` (the paper's WGAN-GP-SI).

    As in :class:`SemiImplicitDensity`, ``sigma`` of the H_M term is annealed geometrically
    from the data's spread down to ``sigma`` over the first ``anneal_fraction`` of the steps
    (coarse-to-fine is what lets H_M reach every mode) and both learning rates decay on a
    cosine to 1% of their start. Samples are the generator outputs ``theta``, without the
    likelihood's noise, as the paper shows them; :meth:`score_samples` is the SIG model's
    H_M bound at ``sigma``.

    Parameters
    ----------
    M : int or "auto", default="auto"
        Number of generated ``theta_j`` per step, shared by both terms of eq. 12. A larger
        ``M`` tightens the H_M bound (Lemma 1). ``"auto"`` is 1024 for ``"mlp"``; for
        ``"dcgan"`` 4096 at sizes S and M and 2048 at size L: on the 25-Gaussian grid 1024
        rather than 512 raised the high-quality fraction from 0.94-0.97 to 0.97-0.98, and on
        the stacked digits many draws per step beat many steps at the same cost (see Notes and
        the user guide).
    sigma : float, default=0.1
        Standard deviation of the Gaussian likelihood of the SIG term and of
        :meth:`score_samples`, in data units.
    lam : float or "auto", default=1.0
        Weight ``lambda`` of the SIG term in eq. 12; ``0`` trains a plain GAN (H_M is then not
        computed). ``"auto"`` follows the paper's rule of putting the two terms on the same
        scale, measured where they act: ``lambda`` is a running average (decay 0.99,
        bias-corrected, over the steps so far) of ``||grad_theta L_GAN|| / ||grad_theta H_M||``,
        the ratio of the norms of the two terms' gradients with respect to the ``M`` generated
        ``theta_j``, so that on average both push the generator equally hard. (The losses'
        values themselves are not comparable: H_M contains ``-D/2 log(2 pi sigma^2)``, which
        changes with the annealed ``sigma``.) As ``sigma`` shrinks the H_M gradients grow, so
        ``"auto"`` weights H_M strongly early and weakly late (``lambda`` ends near 0.004-0.016
        on the 25-Gaussian grid). The default ``1.0`` is what measured best there: "auto"
        sharpened a two-layer generator but lost a mode on one of three seeds with the default
        three-layer one. With ``loss="wgan-gp"`` the weight that measured best depends on the
        data. On the same grid ``lam=10``: over seeds 0-4 it found all 25 modes, high-quality
        fraction 0.963-0.971 and KL 0.014-0.032, where ``lam=1`` found 16-25 modes (mean 20.2,
        high-quality fraction 0.81, KL 0.46) and the plain WGAN-GP 0-1
        (``doc/results/wgan_grid.md``). On the stacked digits (size M's default budget) the
        default ``lam=1``: all 1000 digit triples with KL 0.044 and 0.047 on seeds 0 and 1
        (0.050 and 0.047 with ``hm_memory=0``, where ``lam=10`` gave KL 0.060 and 0.066), and
        the plain WGAN-GP 72 and 120 triples, KL 4.1 and 3.7 (``doc/results/wgan_digits_full.md``).
    loss : {"gan", "wgan-gp"}, default="gan"
        Adversarial loss: the non-saturating GAN of eqs. 11-12, or WGAN-GP.
    instance_noise : float, default=0.0
        Standard deviation of Gaussian noise added to every row the discriminator judges, real
        and generated alike, as a multiple of the annealed ``sigma`` of that step (fresh noise
        each step; the H_M term, :meth:`sample` and :meth:`score_samples` are unchanged).
        ``0`` is the paper's Algorithm 1, whose discriminator judges ``theta`` itself. With
        ``1`` it judges draws ``x = theta + sigma_t e`` of the SIG model ``p(x | theta)``
        against the data blurred by the same kernel: "instance noise" ([3]_, [4]_), tied to the
        likelihood's scale and annealed with it. Measured on the stacked digits and, on two
        seeds, the 25-Gaussian grid (see Notes).
    hm_memory : int or "auto", default="auto"
        Number of earlier steps whose generated ``theta_j`` also enter the H_M term of eq. 12,
        without gradient. The Monte-Carlo mixture of eq. 6 then runs over the step's ``M``
        draws and the ``K = M * hm_memory`` draws of the steps before it, so each data point's
        weight (the softmax of eq. 6) goes to its nearest draws among ``M + K``, and a draw is
        pulled toward fewer data points at once. The gradient reaching the step's own draws is
        scaled by ``(M + K) / M``: were the earlier draws from the current generator, it would
        be an unbiased estimate of the gradient of ``H_{M+K}``. ``0`` is the paper's Algorithm
        1; ``"auto"`` is 1 for ``architecture="dcgan"`` (0 with ``lam=0``, which has no H_M
        term) and 0 for ``"mlp"``, where its effect was not measured. The discriminator,
        :meth:`sample` and :meth:`score_samples` are unchanged, and ``loss_curve_`` records
        ``H_{M+K}``; the memory is kept across warm starts and :meth:`partial_fit` and reset by
        a fresh ``fit``. Measured on the stacked digits (see Notes).
    architecture : {"mlp", "dcgan"}, default="mlp"
        ``"mlp"``: generator with ReLU layers ``hidden_layer_sizes`` and discriminator with ReLU
        layers ``discriminator_hidden_layer_sizes``. ``"dcgan"``: the convolutional networks of
        the paper's Appendix C for images of ``image_shape``, sized by ``size``.
    image_shape : tuple of int (H, W, C), default=None
        Shape of each image for ``architecture="dcgan"``; rows of ``X`` are images flattened in
        ``(H, W, C)`` order, so ``H * W * C`` must equal ``n_features``. Ignored by ``"mlp"``.
    size : {"S", "M", "L"}, default="M"
        DCGAN width multipliers ``(K_g, K_d)``: ``(1, 0.5)``, ``(1, 1)`` or ``(2, 1)``.
    n_latent : int or "auto", default="auto"
        Dimension of ``z``; ``"auto"`` is 10 for ``"mlp"`` and 64 for ``"dcgan"`` (the paper's
        256 was the earlier DCGAN default; see Notes).
    hidden_layer_sizes : tuple of int, default=(100, 100, 100)
        Widths of the ReLU hidden layers of the MLP generator. One layer deeper than the
        paper's (100, 100): on the 25-Gaussian grid the third layer is what lets the generator
        cut sharply between modes (high-quality fraction 0.83 -> 0.94-0.97 at ``M=512``).
    discriminator_hidden_layer_sizes : tuple of int, default=(100,)
        Widths of the ReLU hidden layers of the MLP discriminator.
    batch_size : int or "auto", default="auto"
        Number of data rows ``N`` per step, drawn with replacement; ``"auto"`` is 512.
    max_iter : int or "auto", default="auto"
        Number of steps of ``fit`` (one discriminator and one generator update each);
        ``"auto"`` is 40,000 for ``"mlp"``; for ``"dcgan"`` (a step on 2048 images costs
        about twenty MLP steps on a CPU) 7,500 for sizes S and M (whose steps draw 4096
        images) and L (whose wider generator makes a step on 2048 images cost almost three
        times one of M's on as many).
    learning_rate : float, default=1e-3
        Initial Adam step size of the generator; it decays on a cosine to 1% of this value.
    discriminator_learning_rate : float, default=1e-3
        Initial Adam step size of the discriminator, decayed the same way.
    sigma_init : float or "auto", default="auto"
        Starting ``sigma`` of the annealing; ``"auto"`` is the root mean feature variance of
        the data. A value not above ``sigma`` disables annealing.
    anneal_fraction : float, default=0.8
        Fraction of ``max_iter`` over which ``sigma`` is annealed.
    n_eval_samples : int, default=2000
        Number of ``theta`` draws ``M'`` used by :meth:`score_samples`.
    device : str or torch.device, default="auto"
        Torch device, ``"cpu"`` or ``"cuda[:i]"``; ``"auto"`` uses CUDA when available, else
        the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, minibatches, ``z`` draws and scoring. An int gives bit-identical
        results on the CPU. Torch's global random state is never used or changed.
    verbose : int, default=0
        ``1`` prints progress ten times per fit, ``2`` every 100 steps.
    warm_start : bool, default=False
        Continue from the previous solution on ``fit`` (without re-annealing ``sigma``). The
        parameters that shape the networks must not change in between (``ValueError``).

    Attributes
    ----------
    transform_ : torch.nn.Module
        The fitted generator ``T_phi``.
    discriminator_ : torch.nn.Module
        The fitted discriminator (logits of ``D``) or WGAN-GP critic.
    optimizer_ : torch.optim.Adam
        Generator optimiser, kept for ``warm_start`` and :meth:`partial_fit`.
    discriminator_optimizer_ : torch.optim.Adam
        Discriminator optimiser.
    lam_ : float
        The ``lambda`` of the last step (``lam`` itself unless ``lam="auto"``).
    shift_ : ndarray of shape (n_features,)
        Data centre used internally for float32 precision.
    sigma_start_ : float
        Starting sigma of the annealing.
    loss_curve_ : list of float
        Generator loss (eq. 12, H_M at that step's annealed sigma) at each step.
    n_iter_ : int
        Number of steps taken.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, for DataFrames with string column names.

    See Also
    --------
    SemiImplicitDensity : the SIG model alone, trained on H_M.

    Notes
    -----
    The ``"mlp"`` defaults are tuned on the 25-Gaussian grid (``sigma=0.05``, the paper's
    protocol): 40,000 steps with ``M=1024`` gave 25/25 modes, high-quality fraction 0.972-0.984
    and KL 0.004-0.011 on seeds 0-4, where 20,000 steps gave 0.952-0.973; the plain GAN
    (``lam=0``) with the same networks and budget finds no mode (``doc/results/table1.md``).

    The ``"dcgan"`` defaults are tuned on the 8x8x3 stacked digits with ``sigma=0.1``. Size M, the
    default, draws ``M=4096`` images a step from a 64-dimensional ``z`` for 7,500 steps of
    ``batch_size=512``. On one two-core machine (first-generation AMD Zen) it covered all 1000 digit
    triples on seeds 0-9 with KL to uniform 0.042-0.050 (mean 0.046), where the budget before it,
    ``M=2048`` for 15,000 steps at the same cost, gave 0.044-0.064 (mean 0.053) on the same seeds
    (paired -0.007 +/- 0.002, lower on eight of the ten), though with a lower high-quality fraction
    (0.75-0.78 against 0.80-0.84) and above 0.05 on seeds 4 and 8 (0.0504, 0.0501). Where confident
    samples matter more than balanced modes, ``M=2048, max_iter=15000`` is that earlier budget (it
    had replaced ``M=1024``, ``n_latent=256``, 20,000 steps: 0.050-0.090). Table 2's size-M rows
    (``doc/results/table2_full.md``) are of the default, refitted since the generator's dense blocks
    run by bands (the same function summed in another order): seeds 0-4 gave KL 0.042, 0.048,
    0.043, 0.056 and 0.058 (before: 0.042, 0.045, 0.047, 0.044, 0.050). Size L draws 2048
    images from a 64-dimensional ``z`` for 7,500 steps (its wider generator's steps cost almost
    three times as much): over seeds 0-4 it covered all 1000 triples with KL 0.042-0.052 (mean
    0.047), where the earlier budget (``M=1024``, ``n_latent=256``, 10,000 steps) gave 991-1000
    triples and KL 0.051-0.075, at about 1.3 times its time. Size S, with a half-width
    discriminator, takes size M's budget: over seeds 0-4 it covered all 1000 triples with KL
    0.046-0.057 (mean 0.051), where size M's earlier budget (``M=2048``, 15,000 steps) gave
    0.047-0.066 (mean 0.056; paired -0.005 +/- 0.004, lower on four seeds of five, with a
    high-quality fraction of 0.76-0.80 against 0.82-0.84) and the budget before that 998-1000
    triples and 0.051-0.112 (mean 0.071); Table 2's size-S rows, refitted with the bands, gave
    0.053, 0.046, 0.047, 0.054 and 0.065 (mean 0.053). At equal cost many draws per step beat many
    steps, and none of the other settings tried was a clear gain across seeds (learning rates,
    ``lam``, ``sigma``, the annealing's length, wider networks, ``batch_size=1024``, 28,000 steps, a
    packed discriminator, a running average of the weights, ``M=8192`` for 3,750 steps);
    ``lam="auto"`` collapsed. The measurements are in the user guide (:ref:`gansi-images`), the
    defaults' results on the stacked digits in ``doc/results/table2_full.md``. What is left there is
    in the hard digits: the generator makes 8s at about 0.8 of their share and 7s 15-20% too often
    (earlier budget, seeds 0 and 4), while the real images score KL 0.019 under the same classifier.
    ``instance_noise=1`` with size M's earlier budget gave KL 0.046, 0.049, 0.057 and 0.049 on
    seeds 3-6, where Algorithm 1 (``instance_noise=0``) gave 0.058, 0.064, 0.058 and 0.060 on the
    same machine (paired -0.010 +/- 0.003), with a higher high-quality fraction on every seed
    (0.84-0.85 against 0.79-0.84). Four seeds, the earlier budget's worst of ten there, so it stays
    an option. On the 25-Gaussian grid (``sigma=0.05``, the ``"mlp"`` defaults, seeds 0 and 1)
    ``instance_noise=1`` gave 25/25 modes, high-quality fraction 0.984 and 0.986 and KL 0.0029 and
    0.0028, where ``0`` gave 0.981 and 0.984, KL 0.0044 and 0.0036.
    ``hm_memory="auto"`` (1 for the DCGAN: the previous step's draws join H_M's mixture) is the
    DCGAN's default since Table 2's DCGAN-SI rows were refitted with it and with H_M's block through
    oneDNN (see ``skSIG._hm``; a two-core AMD Zen 5 machine): all 1000 triples on every seed, KL
    0.040, 0.047, 0.047, 0.040 and 0.037 at size M, seeds 0-4 (mean 0.042), where Algorithm 1
    (``hm_memory=0``, through MKL on a Zen 3 machine) gave 0.042, 0.048, 0.043, 0.056 and 0.058
    (mean 0.049); size S 0.041, 0.040, 0.047, 0.050 and 0.060 (0.053, 0.046, 0.047, 0.054 and 0.065;
    means 0.048 and 0.053); size L 0.053, 0.035, 0.057, 0.039 and 0.049 (0.042, 0.045, 0.047, 0.047
    and 0.052; both means 0.047). The memory raises the SI term's share of a size-M step from 0.17
    to 0.275 there (two threads), under the 0.3 target; through MKL (``SKSIG_ONEDNN=0``) it was
    0.42, and with oneDNN held to AVX2 kernels 0.38, so on processors without AVX-512
    ``hm_memory=0`` keeps the term under 0.3 (0.25) at the cost of a higher KL on some seeds. With
    ``M=2048`` the mixture holds 4096 draws, as Algorithm 1's with ``M=4096``, at 0.61 of that
    step's cost: size M, seeds 0-4, KL 0.046, 0.041, 0.064, 0.050 and 0.046 (mean 0.049, as
    Algorithm 1's), 475 s a fit alone on two threads; ``M=2048`` without the memory gave 0.058 and
    0.062 on seeds 3 and 4 (with it: 0.050 and 0.046).

    References
    ----------
    .. [1] "Semi-implicit generative model", section 3, eqs. 11-12, Algorithm 1, Appendix C.
    .. [2] Gulrajani et al., "Improved training of Wasserstein GANs", NeurIPS 2017.
    .. [3] Sonderby et al., "Amortised MAP inference for image super-resolution", ICLR 2017
       (instance noise).
    .. [4] Arjovsky and Bottou, "Towards principled methods for training generative
       adversarial networks", ICLR 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skSIG import GANSIEstimator
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(-2, 0.3, (200, 1)), rng.normal(2, 0.3, (200, 1))]
    >>> gan = GANSIEstimator(sigma=0.3, M=128, batch_size=128, max_iter=300, random_state=0)
    >>> gan.fit(X).sample(5).shape
    (5, 1)
    >>> bool(gan.score(X) > gan.score(X + 3))
    True
    """

    # GAN-SI uses the Gaussian likelihood of eq. 12; the base class reads this name.
    likelihood = "gaussian"
    # What "auto" means for M, batch_size, max_iter and n_latent, by architecture and DCGAN size
    # (measured, see Notes). L draws twice the thetas of the first budget (M=1024,
    # n_latent=256, 20,000 steps) from a smaller z; its wider generator makes a step cost almost
    # three times one of M, so for 7,500 steps (1.3x the time of its first budget of M=1024 for
    # 10,000 steps). M and S draw 4096 thetas for 7,500 steps, which replaced M=2048 for 15,000
    # steps at the same cost (lower KL on 8 of 10 seeds at size M and on 4 of 5 at size S, lower
    # high-quality fraction).
    _AUTO_SETTINGS = {
        "mlp": {"M": 1024, "batch_size": 512, "max_iter": 40000, "n_latent": 10},
        "dcgan-S": {"M": 4096, "batch_size": 512, "max_iter": 7500, "n_latent": 64},
        "dcgan-M": {"M": 4096, "batch_size": 512, "max_iter": 7500, "n_latent": 64},
        "dcgan-L": {"M": 2048, "batch_size": 512, "max_iter": 7500, "n_latent": 64},
    }

    _parameter_constraints = {
        key: value for key, value in BaseSemiImplicit._parameter_constraints.items() if key != "likelihood"
    } | {
        "M": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lam": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "loss": [StrOptions({"gan", "wgan-gp"})],
        "instance_noise": [Interval(Real, 0, None, closed="left")],
        "hm_memory": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "architecture": [StrOptions({"mlp", "dcgan"})],
        "image_shape": [None, tuple, list],
        "size": [StrOptions(set(SIZES))],
        "n_latent": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "discriminator_hidden_layer_sizes": ["array-like"],
        "discriminator_learning_rate": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        M: int | Literal["auto"] = "auto",
        sigma: float = 0.1,
        lam: float | Literal["auto"] = 1.0,
        loss: Literal["gan", "wgan-gp"] = "gan",
        instance_noise: float = 0.0,
        hm_memory: int | Literal["auto"] = "auto",
        architecture: Literal["mlp", "dcgan"] = "mlp",
        image_shape: tuple[int, int, int] | None = None,
        size: Literal["S", "M", "L"] = "M",
        n_latent: int | Literal["auto"] = "auto",
        hidden_layer_sizes: Sequence[int] = (100, 100, 100),
        discriminator_hidden_layer_sizes: Sequence[int] = (100,),
        batch_size: int | Literal["auto"] = "auto",
        max_iter: int | Literal["auto"] = "auto",
        learning_rate: float = 1e-3,
        discriminator_learning_rate: float = 1e-3,
        sigma_init: float | Literal["auto"] = "auto",
        anneal_fraction: float = 0.8,
        n_eval_samples: int = 2000,
        device: str = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        warm_start: bool = False,
    ) -> None:
        self.M = M
        self.sigma = sigma
        self.lam = lam
        self.loss = loss
        self.instance_noise = instance_noise
        self.hm_memory = hm_memory
        self.architecture = architecture
        self.image_shape = image_shape
        self.size = size
        self.n_latent = n_latent
        self.hidden_layer_sizes = hidden_layer_sizes
        self.discriminator_hidden_layer_sizes = discriminator_hidden_layer_sizes
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.discriminator_learning_rate = discriminator_learning_rate
        self.sigma_init = sigma_init
        self.anneal_fraction = anneal_fraction
        self.n_eval_samples = n_eval_samples
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # ------------------------------------------------------------------ validation
    def _has_hm_term(self):
        """Whether the generator's loss has eq. 12's H_M term (``lam=0`` is a plain GAN)."""
        return self.lam == "auto" or self.lam > 0

    def _auto_setting(self, name):
        if name == "hm_memory":
            # one step's draws for the DCGAN's H_M term (measured, see Notes); a plain GAN has no
            # H_M term to keep draws for
            return int(self.architecture == "dcgan" and self._has_hm_term())
        key = f"dcgan-{self.size}" if self.architecture == "dcgan" else self.architecture
        return self._AUTO_SETTINGS[key][name]

    _STRUCTURE = (
        "n_latent", "hidden_layer_sizes", "discriminator_hidden_layer_sizes", "architecture",
        "image_shape", "size", "loss",
    )

    def _check_hidden(self):
        _layer_sizes("discriminator_hidden_layer_sizes", self.discriminator_hidden_layer_sizes)
        return super()._check_hidden()

    def _validate_X(self, X, reset):
        X = super()._validate_X(X, reset)
        if reset and self.architecture == "dcgan":
            self._check_image_shape(X.shape[1])
        return X

    def _check_image_shape(self, n_features):
        shape = self.image_shape
        if shape is None:
            raise ValueError("architecture='dcgan' needs image_shape=(H, W, C).")
        if len(shape) != 3 or not all(isinstance(s, (Integral, np.integer)) and s >= 1 for s in shape):
            raise ValueError(f"image_shape must be three positive integers (H, W, C), got {shape!r}.")
        if shape[0] < 4 or shape[1] < 4:
            raise ValueError(f"architecture='dcgan' needs images of at least 4x4 pixels, got {shape!r}.")
        if math.prod(shape) != n_features:
            raise ValueError(
                f"image_shape={tuple(shape)!r} has {math.prod(shape)} values per image but X has "
                f"{n_features} features; rows must be images flattened in (H, W, C) order."
            )
        return tuple(int(s) for s in shape)

    # ------------------------------------------------------------------ model
    def _build(self, n_features, loc, scale, generator):
        n_latent = self._setting("n_latent")
        if self.architecture == "mlp":
            net = MLP(n_latent, n_features, self._check_hidden())
            disc = MLP(n_features, 1, _layer_sizes("discriminator_hidden_layer_sizes", self.discriminator_hidden_layer_sizes))
        else:
            shape = self._check_image_shape(n_features)
            k_g, k_d = SIZES[self.size]
            net, disc = DCGANGenerator(n_latent, shape, k_g), DCGANDiscriminator(shape, k_d)
        self.transform_ = Transform(init_parameters(net, generator), n_latent, loc, scale)
        spread = math.sqrt(float(np.mean(np.square(scale))))
        self.discriminator_ = _Discriminator(init_parameters(disc, generator), spread)
        # beta_1 = 0.5 as usual for GANs; WGAN-GP's critic uses beta_2 = 0.9 (Gulrajani et al.).
        betas = (0.5, 0.999) if self.loss == "gan" else (0.5, 0.9)
        self.optimizer_ = adam(self.transform_.parameters(), lr=self.learning_rate, betas=betas)
        self.discriminator_optimizer_ = adam(
            self.discriminator_.parameters(), lr=self.discriminator_learning_rate, betas=betas
        )
        self.lam_ = 0.0 if self.lam == "auto" else float(self.lam)
        self._auto_ratio, self._auto_weight = 0.0, 0.0
        # The draws of the last hm_memory steps, newest first (see hm_memory); kept across warm
        # starts and partial_fit calls, so that those continue the same training.
        self._memory = None

    def _hm_columns(self):
        return self._setting("M") * (1 + self._setting("hm_memory"))

    def _to_device(self, device):
        super()._to_device(device)
        if getattr(self, "_memory", None) is not None:
            self._memory = self._memory.to(device)

    def _penalty(self, x, theta, gen):
        """WGAN-GP: ``E (||grad C(x_hat)|| - 1)^2`` on random interpolates of data and theta."""
        n = min(x.shape[0], theta.shape[0])
        eps = torch.rand(n, 1, generator=gen, device=x.device)
        x_hat = (eps * x[:n] + (1 - eps) * theta[:n]).requires_grad_(True)
        (grad,) = torch.autograd.grad(self.discriminator_(x_hat).sum(), x_hat, create_graph=True)
        return ((grad.norm(dim=1) - 1) ** 2).mean()

    def _auto_lam(self, g_gan, g_hm):
        """Bias-corrected running average of ``||g_gan|| / ||g_hm||`` (see ``lam``)."""
        ratio = float(g_gan.norm() / g_hm.norm().clamp_min(1e-30))
        self._auto_ratio = _AUTO_DECAY * self._auto_ratio + (1 - _AUTO_DECAY) * ratio
        self._auto_weight = _AUTO_DECAY * self._auto_weight + (1 - _AUTO_DECAY)
        return self._auto_ratio / self._auto_weight

    def _step(self, x, sigma_t, lr_factor, gen, buffer=None):
        """One step of Algorithm 1: both gradients at the current parameters, then Adam."""
        z = torch.randn(self._setting("M"), self.transform_.n_latent, generator=gen, device=x.device)
        theta = self.transform_(z)  # [M, D]
        # The discriminator and H_M see a detached copy; their gradients w.r.t. it are combined
        # and sent back through T_phi in one backward pass.
        leaf = theta.detach().requires_grad_(True)
        seen = torch.cat([x, leaf])
        if self.instance_noise > 0:
            # Instance noise: D judges x + s e and theta + s e (s the scaled, annealed sigma).
            noise = torch.randn(seen.shape, generator=gen, device=x.device)
            seen = seen + (self.instance_noise * sigma_t) * noise
        out = self.discriminator_(seen)
        real, fake = out[: x.shape[0]], out[x.shape[0] :]
        if self.loss == "gan":
            # Beyond |logit| = 60 the loss gradients (sigmoids) are below 1e-26; letting them through
            # makes subnormal floats in the backward passes, which slowed whole steps several-fold.
            real, fake = real.clamp(-_LOGIT_LIMIT, _LOGIT_LIMIT), fake.clamp(-_LOGIT_LIMIT, _LOGIT_LIMIT)
            loss_d = F.softplus(-real).mean() + F.softplus(fake).mean()  # eq. 11, log D = -softplus(-l)
            loss_adv = F.softplus(-fake).mean()  # -1/M sum_j log D(theta_j)
        else:
            # The penalty's interpolates lie between the rows D judged (with their noise, if any).
            seen = seen.detach()
            penalty = self._penalty(seen[: x.shape[0]], seen[x.shape[0] :], gen)
            loss_d = fake.mean() - real.mean() + _GP_WEIGHT * penalty
            loss_adv = -fake.mean()
        d_params = list(self.discriminator_.parameters())
        grads_d = torch.autograd.grad(loss_d, d_params, retain_graph=True)
        (grad_theta,) = torch.autograd.grad(loss_adv, leaf)
        loss_g = loss_adv.detach()
        if self._has_hm_term():
            # eq. 6 on the same theta_j (and those of the last hm_memory steps, without
            # gradient), with its gradient in closed form
            n_memory = self._setting("hm_memory")
            memory = getattr(self, "_memory", None) if n_memory > 0 else None
            if memory is not None:  # hm_memory or M may have been lowered before a warm start
                memory = memory[: leaf.shape[0] * n_memory]
            if buffer is not None:  # the block's storage, as many columns as draws this step
                columns = leaf.shape[0] + (0 if memory is None else memory.shape[0])
                buffer = buffer.view(-1)[: x.shape[0] * columns].view(x.shape[0], columns)
            hm, g_hm = gaussian_hm_and_grad(sigma_t, x, leaf.detach(), out=buffer, memory=memory)
            if n_memory > 0:
                kept = leaf.detach() if memory is None else torch.cat([leaf.detach(), memory])
                self._memory = kept[: leaf.shape[0] * n_memory]
            self.lam_ = self._auto_lam(grad_theta, g_hm) if self.lam == "auto" else float(self.lam)
            grad_theta = grad_theta + self.lam_ * g_hm
            loss_g = loss_g + self.lam_ * hm

        for opt, rate in (
            (self.optimizer_, self.learning_rate),
            (self.discriminator_optimizer_, self.discriminator_learning_rate),
        ):
            opt.zero_grad(set_to_none=True)
            for group in opt.param_groups:
                group["lr"] = rate * lr_factor
        theta.backward(grad_theta)
        for p, g in zip(d_params, grads_d):
            p.grad = g
        self.optimizer_.step()
        self.discriminator_optimizer_.step()
        # 0 * loss_d carries a non-finite discriminator loss into the divergence check.
        return loss_g + 0.0 * loss_d.detach()

    # ------------------------------------------------------------------ model use
    def sample(self, n_samples: int = 1, random_state: int | np.random.RandomState | None = None) -> np.ndarray:
        """Draw generator outputs ``theta = T_phi(z)``, ``z ~ N(0, I)``, as the paper shows them.

        These are the samples the discriminator judges, without the likelihood's noise
        ``N(0, sigma^2 I)``; they equal :meth:`sample_theta`.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws; ``None`` uses the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        return self.sample_theta(n_samples, random_state)
