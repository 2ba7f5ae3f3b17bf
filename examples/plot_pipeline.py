"""
=========================================
SIG in a Pipeline, on a DataFrame
=========================================

``sigma`` is one width for every feature, so features on very different scales should be
standardised first. A :class:`~sklearn.pipeline.Pipeline` does that and keeps the density in
the original units: ``pipe.score_samples`` scales new data the same way before scoring, and
:func:`~sklearn.model_selection.cross_val_score` evaluates the whole chain on held-out folds.

Note that the pipeline's score is the log-density of the *scaled* data: it differs from the
log-density in the original units by the constant ``-sum(log(scale_))`` of the scaler, which
does not change any comparison between models fitted behind the same scaler.

The fits here take 1,500 steps; the defaults train for tens of thousands.
"""

# %%
# Data with named features on different scales
# --------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skSIG import SemiImplicitDensity
from skSIG.datasets import make_gaussian_ring

ring, _ = make_gaussian_ring(3000, n_modes=6, std=0.15, random_state=0)
X = pd.DataFrame({"flow_l_per_s": 50 + 20 * ring[:, 0], "pressure_bar": 2 + 0.05 * ring[:, 1]})
X.describe().loc[["mean", "std"]]

# %%
# The pipeline
# ------------
# ``sigma`` is in the units the estimator sees: standard deviations of the scaled data.
pipe = make_pipeline(
    StandardScaler(),
    SemiImplicitDensity(sigma=0.1, M=512, batch_size=256, max_iter=1500, learning_rate=3e-3,
                        random_state=0),
)
scores = cross_val_score(pipe, X, cv=3)
print(f"held-out mean log-density (scaled units): {scores.mean():.3f} +/- {scores.std():.3f}")

pipe.fit(X)
print("features seen by the pipeline:", list(pipe.feature_names_in_))

# %%
# Density and samples in the original units
# -----------------------------------------
# ``score_samples`` takes rows in the original units (with the same column names). Sampling
# goes through the last step and back through the scaler's ``inverse_transform``.
flow, pressure = np.meshgrid(np.linspace(0, 100, 120), np.linspace(1.86, 2.14, 120))
grid = pd.DataFrame({"flow_l_per_s": flow.ravel(), "pressure_bar": pressure.ravel()})
log_density = pipe.score_samples(grid).reshape(flow.shape)

scaler, sig = pipe[0], pipe[-1]
samples = scaler.inverse_transform(sig.sample(3000))

fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True, sharey=True)
axes[0].contourf(flow, pressure, np.exp(log_density), levels=20, cmap="viridis")
axes[0].scatter(X["flow_l_per_s"], X["pressure_bar"], s=1, c="white", alpha=0.3)
axes[0].set_title("fitted density and data")
axes[1].scatter(samples[:, 0], samples[:, 1], s=1, alpha=0.4)
axes[1].set_title("samples, back in original units")
for ax in axes:
    ax.set_xlabel("flow_l_per_s")
axes[0].set_ylabel("pressure_bar")
fig.tight_layout()
