"""Shared machinery of the skSIG estimators: validation, device, seeding, the training loop,
sampling and H_M scoring. Subclasses supply the model (``_build``) and one optimisation step
(``_step``), as scikit-learn's ``mixture/_base.py`` does for its mixtures.
"""

from __future__ import annotations

import contextlib
import copy
import math
import sys
import time
import warnings
from pathlib import Path
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
import sklearn
import torch
from sklearn.base import BaseEstimator, DensityMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._hm import float32_rounding, log_mean_prob, scoring_dtype
from ._malloc import retain_freed_memory

if TYPE_CHECKING:
    from numpy.typing import ArrayLike
    from typing_extensions import Self

    RandomStateLike = int | np.random.RandomState | None
from ._likelihoods import Gaussian, make_likelihood

# Final learning rate of the cosine decay, as a fraction of ``learning_rate``.
_LR_FINAL = 1e-2
# How often (in steps) the loss and the generator's outputs are checked for divergence.
_CHECK_EVERY = 100
# A fit has diverged when the median of the generator's outputs on fixed probe draws of z lies
# this many times the data's spread from the data's centre (root mean square over features;
# the spread is the root mean feature variance, or 1 in the natural parameters of Poisson and
# Bernoulli). Healthy fits sit near 1; by Markov's inequality at most 1e-4 of the data lie as
# far out. On 2-D standard normal data, learning_rate=1 took SIG to 133 and 1e3 both
# estimators to about 1e8, while their losses stayed finite.
_DIVERGED_SPREADS = 100.0
_PROBE_SIZE = 256
# fit warns when float32's rounding of the Gaussian log-likelihoods (_hm.float32_rounding, for
# a theta the data's typical size: |theta|^2 = sum_d var_d) exceeds this many nats. The bound
# is ~100x the error measured in scoring: on 2-D standard normal data it warns at sigma = 1e-4
# (measured 0.6 nats) and not at 1e-3 (7e-3 nats).
_FLOAT32_WARN_NATS = 10.0


def _seed_from(random_state):
    """An integer seed from a sklearn ``random_state`` (int, RandomState or None)."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _derive(seed, *salt):
    """An independent 63-bit torch seed for the stream named by ``salt``."""
    state = np.random.SeedSequence([seed, *salt]).generate_state(2, np.uint32)
    return int(state.view(np.uint64)[0] >> 1)


def _cpu_generator(seed):
    return torch.Generator().manual_seed(seed)


def _is_int(value):
    """An integer that is not a bool."""
    return isinstance(value, (Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def _layer_sizes(name, sizes):
    """Hidden layer widths as a tuple of positive ints (one int is one layer)."""
    try:
        sizes = tuple(sizes)
    except TypeError:  # a single width
        sizes = (sizes,)
    if not all(_is_int(s) and s >= 1 for s in sizes):
        raise ValueError(f"{name} must be a sequence of positive integers, got {sizes!r}.")
    return tuple(int(s) for s in sizes)


def _user_stacklevel():
    """``stacklevel`` for ``warnings.warn`` that points at the first frame outside skSIG and
    scikit-learn (the caller of ``fit``, however deep the call chain inside)."""
    inside = (str(Path(__file__).parent), str(Path(sklearn.__file__).parent))
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(inside):
        frame, level = frame.f_back, level + 1
    return level


def _check_n_samples(n_samples):
    if not _is_int(n_samples) or n_samples < 0:
        raise ValueError(f"n_samples must be a non-negative integer, got {n_samples!r}.")
    return int(n_samples)


class BaseSemiImplicit(DensityMixin, BaseEstimator):
    """Base class of the skSIG estimators (not for direct use)."""

    _parameter_constraints = {
        "M": [Interval(Integral, 1, None, closed="left")],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "likelihood": [StrOptions({"gaussian", "poisson", "bernoulli"})],
        "n_latent": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "sigma_init": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "anneal_fraction": [Interval(Real, 0, 1, closed="both")],
        "n_eval_samples": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def _setting(self, name):
        """The value of parameter ``name``, with ``"auto"`` resolved by ``_auto_setting``."""
        value = getattr(self, name)
        return self._auto_setting(name) if isinstance(value, str) and value == "auto" else value

    def _auto_setting(self, name):
        """What ``"auto"`` means for parameter ``name``; subclasses that allow it say."""
        raise NotImplementedError(f"{type(self).__name__} has no 'auto' value for {name}.")

    # ------------------------------------------------------------------ validation
    def _device(self):
        if isinstance(self.device, str) and self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            device = torch.device(self.device)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"Invalid device {self.device!r}: {exc}") from None
        if device.type not in ("cpu", "cuda"):
            raise ValueError(f"device={self.device!r}: skSIG runs on 'cpu' and 'cuda' devices only.")
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device={self.device!r} was requested but CUDA is not available.")
        return device

    def _validate_X(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
        make_likelihood(self.likelihood, self.sigma).check(X)
        return X

    def _check_hidden(self):
        return _layer_sizes("hidden_layer_sizes", self.hidden_layer_sizes)

    # Parameters that shape the networks: a warm start cannot continue after they change.
    _STRUCTURE = ("likelihood", "n_latent", "hidden_layer_sizes")

    def _structure_params(self):
        def freeze(value):
            if isinstance(value, (str, Integral, np.integer)) or value is None:
                return value
            try:
                return tuple(freeze(v) for v in value)
            except TypeError:
                return value

        # "auto" is compared as what it means, so n_latent="auto" and its value are no change.
        return {name: freeze(self._setting(name)) for name in self._STRUCTURE}

    def _check_structure(self):
        """ValueError if a parameter of ``_STRUCTURE`` changed since the networks were built."""
        built = getattr(self, "_structure", None)
        if built is None:  # pickled before this check existed
            return
        now = self._structure_params()
        changed = [f"{k} (built with {built[k]!r}, now {now[k]!r})" for k in now if now[k] != built.get(k)]
        if changed:
            raise ValueError(
                f"{type(self).__name__} cannot continue training after "
                f"{', '.join(changed)} changed: these parameters shape the fitted networks. "
                "Refit from scratch (warm_start=False), or restore them."
            )

    # ------------------------------------------------------------------ data <-> tensors
    def _to_tensor(self, X, device, dtype=torch.float32):
        """Training/scoring coordinates: Gaussian data are centred on ``shift_`` in float64
        first, so float32 keeps its precision for data far from the origin."""
        return torch.as_tensor(np.asarray(X, dtype=np.float64) - self.shift_, dtype=dtype).to(device)

    def _theta(self, n, seed, device):
        """``n`` draws of theta (in training coordinates) from z drawn on the CPU, so the same
        seed gives the same theta on every device."""
        z = torch.randn(n, self.transform_.n_latent, generator=_cpu_generator(seed))
        with torch.no_grad():
            return self.transform_.to(device)(z.to(device))

    # ------------------------------------------------------------------ schedules
    def _sigma_at(self, t, total, anneal):
        """Geometric annealing of the Gaussian sigma from ``sigma_start_`` to ``sigma`` over the
        first ``anneal_fraction`` of the steps: coarse-to-fine is what finds every mode."""
        if not anneal or self.sigma_start_ <= self.sigma:
            return float(self.sigma)
        span = self.anneal_fraction * total
        frac = 1.0 if span <= 0 else min(1.0, t / span)
        return float(self.sigma_start_ * (self.sigma / self.sigma_start_) ** frac)

    @staticmethod
    def _lr_factor(t, total):
        """Cosine decay of the learning rate to ``_LR_FINAL`` of its start."""
        frac = min(1.0, t / max(1, total))
        return _LR_FINAL + (1 - _LR_FINAL) * 0.5 * (1 + math.cos(math.pi * frac))

    # ------------------------------------------------------------------ fitting
    def _initialize(self, X, device):
        self._seed = _seed_from(self.random_state)
        lik = make_likelihood(self.likelihood, self.sigma)
        if isinstance(lik, Gaussian):
            self.shift_ = X.mean(axis=0)
            std = X.std(axis=0)
            scale = np.where(std > 0, std, 1.0)
            loc = np.zeros(X.shape[1])
            spread = math.sqrt(float(np.mean(X.var(axis=0))))
            typical = torch.as_tensor(np.sqrt(X.var(axis=0)), dtype=torch.float64)[None]
            if float(float32_rounding(lik, typical)) > _FLOAT32_WARN_NATS:
                warnings.warn(
                    f"sigma={self.sigma:g} is tiny against the data's spread ({spread:.3g}, root mean "
                    "feature variance): training runs in float32, whose rounding of the "
                    "log-likelihoods reaches whole nats at this ratio. Standardise the features "
                    "(e.g. with StandardScaler) or raise sigma.",
                    UserWarning,
                    stacklevel=_user_stacklevel(),
                )
            auto = spread if spread > 0 else float(self.sigma)
            self.sigma_start_ = float(auto if self.sigma_init == "auto" else self.sigma_init)
        else:
            self.shift_ = np.zeros(X.shape[1])
            loc, scale = lik.inverse_mean(X.mean(axis=0)), np.ones(X.shape[1])
            self.sigma_start_ = float(self.sigma)
        torch_gen = _cpu_generator(_derive(self._seed, 0))
        # torch's layer constructors draw a default init from the global generator before
        # init_parameters redraws every weight from ours: keep the global state untouched.
        with torch.random.fork_rng(devices=[]):
            self._build(X.shape[1], loc, scale, torch_gen)
        self._structure = self._structure_params()
        self._to_device(device)
        self.n_iter_ = 0
        self.loss_curve_ = []

    def _train(self, X, steps, total, anneal, salt):
        """Run ``steps`` optimisation steps; the schedules are evaluated at
        ``n_iter_ + k`` of ``total`` steps."""
        device = self._device()
        self._to_device(device)
        data = self._to_tensor(X, device)
        gen = torch.Generator(device=device).manual_seed(_derive(self._seed, 1, salt))
        losses = torch.empty(steps, device=device)
        batch_size = self._setting("batch_size")
        # One H_M block for every step (see hm_bound): a fresh one each step costs page faults.
        buffer = torch.empty(batch_size, self._hm_columns(), device=device)
        # Fixed draws of z for the divergence check, from their own stream: training's stream and
        # its results are the same with or without the check.
        probe = torch.randn(
            _PROBE_SIZE, self.transform_.n_latent, generator=_cpu_generator(_derive(self._seed, 3))
        ).to(device)
        start_iter, t0 = self.n_iter_, time.perf_counter()
        report = max(1, steps // 10) if self.verbose == 1 else _CHECK_EVERY
        # On the CPU, freed activations stay in the process for the next step (see _malloc).
        with retain_freed_memory() if device.type == "cpu" else contextlib.nullcontext():
            for k in range(steps):
                t = start_iter + k if anneal != "off" else k
                sigma_t = self._sigma_at(t, total, anneal != "off")
                lr_factor = self._lr_factor(t, total)
                idx = torch.randint(data.shape[0], (batch_size,), generator=gen, device=device)
                losses[k] = self._step(data[idx], sigma_t, lr_factor, gen, buffer)
                if (k + 1) % _CHECK_EVERY == 0 or k + 1 == steps:
                    self._check_diverged(losses[: k + 1], start_iter, probe)
                if self.verbose and ((k + 1) % report == 0 or k + 1 == steps):
                    elapsed = time.perf_counter() - t0
                    print(
                        f"[{type(self).__name__}] step {start_iter + k + 1}: loss {losses[k].item():.4f}, "
                        f"sigma {sigma_t:.4g}, elapsed {elapsed:.1f}s, "
                        f"remaining {elapsed / (k + 1) * (steps - k - 1):.1f}s",
                        flush=True,
                    )
        self.n_iter_ += steps
        self.loss_curve_ = list(self.loss_curve_) + losses.cpu().tolist()

    def _check_diverged(self, losses, start_iter, probe):
        """FloatingPointError if a loss so far is not finite, or if the generator's outputs on
        the ``probe`` draws have run away from the data (``_DIVERGED_SPREADS``)."""
        advice = "Lower learning_rate" + (", raise sigma" if self.likelihood == "gaussian" else "")
        advice += ", or rescale the data; the estimator is left as it was before this call."
        bad = ~torch.isfinite(losses)
        if bool(bad.any()):
            step = start_iter + int(bad.nonzero()[0, 0]) + 1
            raise FloatingPointError(
                f"{type(self).__name__} diverged: the loss became non-finite at step {step}. {advice}"
            )
        with torch.no_grad():
            scale = self.transform_.scale
            offset = scale * self.transform_.net(probe)  # theta - loc
            size = float(offset.square().mean(dim=1).sqrt().median() / scale.square().mean().sqrt())
        if not size <= _DIVERGED_SPREADS:
            raise FloatingPointError(
                f"{type(self).__name__} diverged: after step {start_iter + losses.shape[0]} the "
                f"median generated sample lies {size:.3g} times the data's spread from its centre "
                f"(a healthy fit: about 1; the check stops at {_DIVERGED_SPREADS:g}). {advice}"
            )

    def _restoring(self, train):
        """Run ``train()``; if it diverges, put back the estimator's fitted state from before.

        Training rebinds the plain attributes (``loss_curve_``, ``n_iter_``, ...) and changes
        only the networks' and optimisers' tensors in place, so those tensors are the only copy
        taken: a deep copy of everything cost 39 ms a ``partial_fit`` call after 40,000 SIG
        steps (the loss curve) and 14 ms for an 8x8 DCGAN (its index maps). The parameters,
        which ``train`` does not change, stay the objects the user passed.
        """
        params = self.get_params(deep=False)
        saved = {k: v for k, v in vars(self).items() if k not in params}
        modules = {name: copy.deepcopy(getattr(self, name).state_dict()) for name in self._modules()}
        optimizers = {id(opt): copy.deepcopy(opt.state_dict()) for opt in self._optimizers()}
        try:
            train()
        except FloatingPointError:
            for key in [k for k in vars(self) if k not in params]:
                delattr(self, key)
            vars(self).update(saved)
            for name, state in modules.items():
                getattr(self, name).load_state_dict(state)
            for opt in self._optimizers():
                opt.load_state_dict(optimizers[id(opt)])
            raise
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: None = None) -> Self:
        """Fit the model to ``X`` by minimising the H_M bound (eq. 6) with Adam.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._check_hidden()
        warm = self.warm_start and hasattr(self, "transform_")
        if warm:
            self._check_structure()

        def train():
            X_valid = self._validate_X(X, reset=not warm)
            if not warm:
                self._initialize(X_valid, self._device())
            max_iter = self._setting("max_iter")
            self._train(X_valid, max_iter, max_iter, anneal="off" if warm else "fit", salt=self.n_iter_)

        return self._restoring(train)

    def partial_fit(self, X: ArrayLike, y: None = None) -> Self:
        """Continue training on ``X`` for one pass (``ceil(n_samples / batch_size)`` steps).

        The sigma and learning-rate schedules continue from ``n_iter_`` as if the calls together
        were one ``fit`` of ``max_iter`` steps; past ``max_iter`` they stay at their final values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The updated estimator.
        """
        # Unlike scikit-learn's partial_fit, parameters are checked on every call: a pass costs
        # far more than the check, and a bad value set in between would otherwise reach torch.
        self._validate_params()
        self._check_hidden()
        first = not hasattr(self, "transform_")
        if not first:
            self._check_structure()

        def train():
            X_valid = self._validate_X(X, reset=first)
            if first:
                self._initialize(X_valid, self._device())
            steps = math.ceil(X_valid.shape[0] / self._setting("batch_size"))
            self._train(X_valid, steps, self._setting("max_iter"), anneal="partial", salt=self.n_iter_)

        return self._restoring(train)

    # ------------------------------------------------------------------ model use
    def _sample_seed(self, random_state):
        return _seed_from(self.random_state if random_state is None else random_state)

    def sample_theta(self, n_samples: int = 1, random_state: RandomStateLike = None) -> np.ndarray:
        """Draw ``theta = T_phi(z)``, ``z ~ N(0, I)`` from the implicit mixing distribution.

        ``theta`` is returned as the likelihood's mean parameter: the Gaussian mean, the
        Poisson rate or the Bernoulli probability.

        Parameters
        ----------
        n_samples : int, default=1
            Number of draws.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws; ``None`` uses the estimator's ``random_state``.

        Returns
        -------
        theta : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        n_samples = _check_n_samples(n_samples)
        theta = self._theta(n_samples, self._sample_seed(random_state), self._device())
        lik = make_likelihood(self.likelihood, self.sigma)
        return lik.mean(theta).cpu().double().numpy() + self.shift_

    def sample(self, n_samples: int = 1, random_state: RandomStateLike = None) -> np.ndarray:
        """Draw ``x ~ p(x | theta)``, ``theta ~ p_phi(theta)`` from the fitted model (eq. 3).

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws; ``None`` uses the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Float64 for the Gaussian likelihood, int64 counts or bits otherwise.
        """
        check_is_fitted(self)
        n_samples = _check_n_samples(n_samples)
        seed = self._sample_seed(random_state)
        theta = self._theta(n_samples, seed, self._device()).cpu()
        lik = make_likelihood(self.likelihood, self.sigma)
        x = lik.sample(theta, _cpu_generator(_derive(seed, 1))).double().numpy()
        return x.astype(np.int64) if lik.discrete else x + self.shift_

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Log-density bound of each sample: ``log 1/M' sum_j p(x | theta_j)`` (eq. 6).

        ``M' = n_eval_samples`` draws of theta, fixed by the fitted seed, so a row's score does
        not depend on the other rows and scores of models trained with different ``M`` compare
        on the same footing. By Lemma 1 its expected mean is a lower bound of the log-likelihood
        (the cross-entropy's negative) that tightens as ``n_eval_samples`` grows. With the Gaussian likelihood it is exactly a
        Gaussian kernel density estimate (bandwidth ``sigma``) over the theta draws.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        device = self._device()
        lik = make_likelihood(self.likelihood, self.sigma)
        theta = self._eval_theta(device)
        dtype = scoring_dtype(lik, theta)
        x = self._to_tensor(X, device, dtype)
        return log_mean_prob(lik, x, theta.to(dtype)).cpu().double().numpy()

    def _eval_theta(self, device):
        """The ``n_eval_samples`` fixed theta draws (training coordinates) of ``score_samples``."""
        return self._theta(self.n_eval_samples, _derive(self._seed, 2), device)

    def score(self, X: ArrayLike, y: None = None) -> float:
        """Mean of :meth:`score_samples` over the rows of ``X`` (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))

    # ------------------------------------------------------------------ persistence
    def _modules(self):
        return [name for name, value in vars(self).items() if isinstance(value, torch.nn.Module)]

    def _hm_columns(self):
        """Columns of the H_M block a training step needs: one per draw of theta."""
        return self._setting("M")

    def _to_device(self, device):
        for name in self._modules():
            getattr(self, name).to(device)
        for opt in self._optimizers():
            for state in opt.state.values():
                for key, value in state.items():
                    if torch.is_tensor(value) and key != "step":
                        state[key] = value.to(device)

    def _optimizers(self):
        return [v for v in vars(self).values() if isinstance(v, torch.optim.Optimizer)]

    def _on_cuda(self):
        return any(p.is_cuda for m in self._modules() for p in getattr(self, m).parameters())

    def __getstate__(self):
        """Pickle with every tensor on the CPU, so a model fitted on a GPU loads anywhere."""
        state = super().__getstate__()
        if self._on_cuda():
            # A bare instance holding a deep copy of the state (copy.copy(self) would call this
            # method again): one deepcopy keeps the optimizers pointing at the copied parameters.
            clone = object.__new__(type(self))
            clone.__dict__ = copy.deepcopy(state)
            clone._to_device(torch.device("cpu"))
            state = clone.__dict__
        return state
