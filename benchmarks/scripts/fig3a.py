"""Fig. 3a of the paper: SIG on the uneven grid, against Theorem 1 (sections 2 and 5.2).

Columns 1, 3 and 5 of the 5x5 grid carry twice the data of columns 2 and 4 (true column
weights 2/8, 1/8, 2/8, 1/8, 2/8). A Gaussian SIG (``sigma`` = the grid std) is fitted and
the proportion of its ``theta`` draws nearest to each column is compared with

- the true weights, and
- Theorem 1's optimum ``m_k / M = n_k / N + (n_k / N - 1 / K) K v / (u - v)`` per mode,
  summed over each column's modes, with Corollary 1's ``v / (u - v) = 1 / (exp(c^2 / 6) - 1)``
  and ``c`` the distance between neighbouring centres in units of ``sigma`` (the nearest,
  hence largest, ``v``). At the paper's spacing (c = 40) the bias term is about e^-266: the
  theorem predicts the data proportions themselves. The Markdown also tabulates the
  prediction for smaller ``c`` to show where the bias would become visible (where eq. 15
  turns negative, the constrained optimum, which drops the light modes, is shown).

    python benchmarks/scripts/fig3a.py            # 5 seeds, writes doc/results/fig3a.*
    python benchmarks/scripts/fig3a.py --quick
"""

import time

import numpy as np
from _common import (command_line, fmt, log, markdown_table, matplotlib_pyplot, parser,
                     save_figure, setup, write_csv)

from skSIG import SemiImplicitDensity
from skSIG.datasets import grid_centers, make_uneven_grid
from skSIG.metrics import mode_coverage

STD, SPACING, N_TRAIN, N_SAMPLES = 0.05, 2.0, 20000, 50000
COLUMN_WEIGHTS = np.array([2, 1, 2, 1, 2])
SIDE = len(COLUMN_WEIGHTS)


def bias_ratio(c):
    """Corollary 1: ``v / (u - v) = 1 / (exp(c^2 / 6) - 1)`` for centres ``c sigma`` apart."""
    return 1.0 / np.expm1(c**2 / 6)


def theorem1(n_frac, c):
    """Theorem 1's optimal proportions ``m_k / M`` given the data proportions ``n_k / N``.

    Eq. 15, ``n_k/N + (n_k/N - 1/K) K v/(u-v)``, is the stationary point of the objective
    without the constraint ``m_k >= 0``; when it turns negative the constrained optimum drops
    those modes and re-solves on the rest (water-filling on the same Lagrange condition
    ``m_k (u - v) + M v = n_k / beta``). While every mode survives both coincide.
    """
    r = bias_ratio(c)
    active = np.ones(len(n_frac), dtype=bool)
    while True:
        scale = (1 + active.sum() * r) / n_frac[active].sum()  # 1 / beta, in units of M
        m = np.where(active, n_frac * scale - r, 0.0)
        if np.all(m[active] > 0):
            return m
        active &= m > 0


def column_proportions(points):
    nearest = np.linalg.norm(points[:, None, :] - grid_centers(SIDE, SPACING)[None], axis=-1)
    return np.bincount(nearest.argmin(axis=1) // SIDE, minlength=SIDE) / len(points)


def main():
    args = setup(parser(__doc__.split("\n")[0]).parse_args())
    c = SPACING / STD
    true_cols = COLUMN_WEIGHTS / COLUMN_WEIGHTS.sum()
    rows, shown = [], None
    for seed in range(args.seeds):
        X, y = make_uneven_grid(N_TRAIN, std=STD, column_weights=COLUMN_WEIGHTS,
                                spacing=SPACING, random_state=seed)
        kw = {"max_iter": 200, "M": 256} if args.quick else {}
        log(f"seed {seed}: fitting SIG")
        start = time.perf_counter()
        model = SemiImplicitDensity(sigma=STD, random_state=seed, **kw).fit(X)
        seconds = time.perf_counter() - start
        theta, samples = model.sample_theta(N_SAMPLES), model.sample(N_SAMPLES)
        n_frac = np.bincount(y, minlength=SIDE**2) / len(y)
        predicted = theorem1(n_frac, c).reshape(SIDE, SIDE).sum(axis=1)
        weights = np.repeat(true_cols / SIDE, SIDE)
        r = mode_coverage(samples, grid_centers(SIDE, SPACING), std=STD, weights=weights)
        row = {"seed": seed, "fit_seconds": seconds, "modes": r["modes"],
               "high_quality": r["high_quality"], "kl": r["kl"]}
        for k, (data_p, pred_p, theta_p, hq_p) in enumerate(zip(
                n_frac.reshape(SIDE, SIDE).sum(axis=1), predicted, column_proportions(theta),
                r["counts"].reshape(SIDE, SIDE).sum(axis=1) / max(1, r["counts"].sum()))):
            row.update({f"col{k + 1}_data": data_p, f"col{k + 1}_theorem1": pred_p,
                        f"col{k + 1}_theta": theta_p, f"col{k + 1}_hq_samples": hq_p})
        rows.append(row)
        log(f"seed {seed}: theta per column " + ", ".join(
            f"{row[f'col{k + 1}_theta']:.3f}" for k in range(SIDE)) + f" ({seconds:.0f} s)")
        if shown is None:
            shown = (X, samples, theta)

    write_csv(args.out / "fig3a.csv", rows)
    col = {key: [r[key] for r in rows] for key in rows[0]}
    table = [[f"{k + 1}", f"{true_cols[k]:.4f}", fmt(col[f"col{k + 1}_data"], 4),
              fmt(col[f"col{k + 1}_theorem1"], 4), fmt(col[f"col{k + 1}_theta"], 4),
              fmt(col[f"col{k + 1}_hq_samples"], 4)] for k in range(SIDE)]
    heavy = np.mean([col[f"col{k}_theta"] for k in (1, 3, 5)], axis=0)
    light = np.mean([col[f"col{k}_theta"] for k in (2, 4)], axis=0)
    n_frac = np.repeat(true_cols / SIDE, SIDE)
    sensitivity = [[f"{cc:g}", f"{bias_ratio(cc):.3g}",
                    ", ".join(f"{p:.3f}" for p in theorem1(n_frac, cc).reshape(SIDE, SIDE).sum(1))]
                   for cc in (2, 3, 4, 6, 10, c)]
    has_png = plot(shown, rows, true_cols, args.out / "fig3a.png")
    text = "\n\n".join([
        "# Fig. 3a: SIG on the uneven grid, against Theorem 1",
        f"Grid std {STD}, spacing {SPACING} (c = {c:g}), {N_TRAIN} training points, "
        f"{N_SAMPLES} draws, {args.seeds} seed(s), mean ± standard error. `theta` is the share "
        "of `sample_theta` draws nearest to each column's centres; `HQ samples` the share of "
        "high-quality `sample` draws (within 3 std).",
        markdown_table(["Column", "True weight", "Data n_k/N", "Theorem 1", "SIG theta",
                        "SIG HQ samples"], table),
        f"Heavy/light ratio of SIG theta (true 2): {fmt(heavy / light, 3)}. Modes (weighted "
        f"protocol): {fmt(col['modes'], 1)}, high quality {fmt(col['high_quality'], 3)}, "
        f"KL to the uneven mixture {fmt(col['kl'], 3)}; fit {np.mean(col['fit_seconds']):.0f} s "
        f"per seed. A light-column mode expects {N_SAMPLES:,} / 40 = {N_SAMPLES / 40:,.0f} samples, "
        f"about {N_SAMPLES / 40 * np.mean(col['high_quality']):,.0f} of them high quality at this "
        "high-quality fraction, so the paper's > 1000 threshold is marginal for those modes: a "
        "small shortfall drops one.",
        "Theorem 1's prediction per column at other separations c (true weights):",
        markdown_table(["c", "v/(u-v)", "m_k/M per column"], sensitivity),
        *(["![Fig. 3a](fig3a.png)"] if has_png else []),
        *(["**Quick smoke run: too few steps for the numbers to mean anything.**"]
          if args.quick else []),
        f"Command: `{command_line()}`",
    ])
    (args.out / "fig3a.md").write_text(text + "\n")
    log(f"wrote {args.out / 'fig3a.md'} and fig3a.csv")
    print(text)


def plot(shown, rows, true_cols, path):
    plt = matplotlib_pyplot()
    if plt is None:
        return False
    X, samples, theta = shown
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    axes[0].scatter(*X[:5000].T, s=1)
    axes[0].set(title="data (columns 1, 3, 5 twice as heavy)", aspect="equal")
    axes[1].scatter(*samples[:5000].T, s=1)
    axes[1].set(title="SIG samples", aspect="equal")
    k = np.arange(1, SIDE + 1)
    for offset, (label, key) in zip((-0.27, 0, 0.27), [("true", None), ("Theorem 1", "theorem1"),
                                                       ("SIG theta", "theta")]):
        values = true_cols if key is None else np.mean(
            [[r[f"col{j}_{key}"] for j in k] for r in rows], axis=0)
        axes[2].bar(k + offset, values, width=0.27, label=label)
    axes[2].set(title="mass per column", xlabel="column", xticks=k)
    axes[2].legend()
    save_figure(fig, path)
    return True


if __name__ == "__main__":
    main()
