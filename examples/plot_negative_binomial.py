"""
===========================================================
Counts: a Poisson SIG recovers the NB's mixing distribution
===========================================================

The negative binomial NB(r=2, p=0.5) is a Poisson distribution whose rate is drawn from a
Gamma(2, 1) distribution:

.. math::

    \\mathrm{NB}(x; 2, 0.5) = \\int \\mathrm{Poisson}(x; \\theta)\\, \\mathrm{Gamma}(\\theta; 2, 1)\\, d\\theta.

A SIG with ``likelihood="poisson"`` has exactly this form, with the Gamma replaced by the
implicit distribution of ``theta = T_phi(z)``. Fitted to counts alone, it should recover the
Gamma(2, 1) as its mixing distribution (paper, Fig. 1 a-b). :meth:`~skSIG.SemiImplicitDensity.sample_theta`
returns draws of it: for the Poisson likelihood, the rates.

This example trains for 1,000 steps with ``M=512`` theta draws per step to run in seconds; the
defaults (tens of thousands of steps) recover the mixing distribution more closely.
"""

# %%
# Fit a Poisson SIG to negative-binomial counts
# ----------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from skSIG import SemiImplicitDensity
from skSIG.datasets import make_negative_binomial

X, true_rates = make_negative_binomial(10000, r=2, p=0.5, random_state=0)
sig = SemiImplicitDensity(likelihood="poisson", M=512, max_iter=1000, random_state=0).fit(X)

counts = sig.sample(10000).ravel()
rates = sig.sample_theta(10000).ravel()

# %%
# The counts and the mixing distribution
# --------------------------------------
# Left: the probability mass function of the model's samples against the NB pmf. Right: the
# distribution of the learned rates ``theta`` against the Gamma(2, 1) density that generated
# the data, and the Kolmogorov-Smirnov distance between them.
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
k = np.arange(16)
left.bar(k - 0.2, np.bincount(X.ravel(), minlength=k.size)[: k.size] / X.shape[0], width=0.4,
         label="data")
left.bar(k + 0.2, np.bincount(counts, minlength=k.size)[: k.size] / counts.size, width=0.4,
         label="SIG samples")
left.plot(k, stats.nbinom(2, 0.5).pmf(k), "k.", label="NB(2, 0.5) pmf")
left.set_xlabel("count x")
left.set_title("samples")
left.legend()

ks = stats.kstest(rates, stats.gamma(2, scale=1).cdf).statistic
grid = np.linspace(0, 10, 200)
right.hist(rates, bins=60, range=(0, 10), density=True, alpha=0.6, label="sample_theta")
right.plot(grid, stats.gamma(2, scale=1).pdf(grid), "k", label="Gamma(2, 1)")
right.set_xlabel("rate theta")
right.set_title(f"mixing distribution (KS = {ks:.3f})")
right.legend()
fig.tight_layout()

print(f"KS distance of sample_theta to Gamma(2, 1): {ks:.3f}")
print(f"mean count: data {X.mean():.2f}, model {counts.mean():.2f} (NB mean 2)")
