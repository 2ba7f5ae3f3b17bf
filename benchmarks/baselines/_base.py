"""Shared shell of the baselines: seeding, the paper's generator, the minibatch loop."""

import time

import numpy as np
import torch
from sklearn.utils import check_random_state

from skSIG._networks import MLP, adam, init_parameters

HIDDEN = (100, 100)  # paper section 5.2: generator and encoders
DISC_HIDDEN = (100,)  # paper section 5.2: "a fully connected layer with size 100"


class Baseline:
    """``fit(X)`` runs ``n_steps`` minibatch steps of ``_step``; ``sample(n)`` pushes noise
    through the generator. Subclasses define ``_build(n_features)`` and ``_step(x)``.

    Parameters
    ----------
    n_steps : int
        Number of training steps (generator updates).
    batch_size : int, default=512
        Data rows per step, drawn with replacement.
    learning_rate : float, default=1e-3
        Adam step size of every network.
    n_latent : int, default=10
        Dimension of the generator's noise.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, minibatches, noise and sampling.
    verbose : int, default=0
        ``1`` prints the loss ten times per fit.
    """

    def __init__(self, n_steps=10000, batch_size=512, learning_rate=1e-3, n_latent=10,
                 random_state=None, verbose=0):
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.n_latent = n_latent
        self.random_state = random_state
        self.verbose = verbose

    def _net(self, n_in, n_out, hidden):
        return init_parameters(MLP(n_in, n_out, hidden), self.gen_)

    def _adam(self, *modules):
        params = [p for m in modules for p in m.parameters()]
        return adam(params, lr=self.learning_rate, betas=(0.5, 0.999))

    def _noise(self, n):
        return torch.randn(n, self.n_latent, generator=self.gen_)

    def fit(self, X):
        """Train on ``X`` of shape (n_samples, n_features); returns self."""
        X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        self.gen_ = torch.Generator().manual_seed(seed)
        self.generator_ = self._net(self.n_latent, X.shape[1], HIDDEN)
        self._build(X.shape[1])
        start = time.perf_counter()
        for step in range(self.n_steps):
            x = X[torch.randint(len(X), (self.batch_size,), generator=self.gen_)]
            loss = self._step(x)
            if self.verbose and (step + 1) % max(1, self.n_steps // 10) == 0:
                print(f"  {type(self).__name__} step {step + 1}/{self.n_steps} loss {loss:.4f}"
                      f" ({time.perf_counter() - start:.0f} s)", flush=True)
        return self

    def sample(self, n_samples):
        """``n_samples`` generated points as a float64 array of shape (n_samples, n_features)."""
        with torch.no_grad():
            return self.generator_(self._noise(n_samples)).double().numpy()
