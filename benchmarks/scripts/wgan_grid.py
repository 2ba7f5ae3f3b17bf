"""WGAN-GP vs WGAN-GP-SI on the 5x5 grid of Gaussians (Table 1's protocol, section 5.2).

Same protocol as ``table1.py``: 20,000 training points from the grid with std 0.05; each
model is fitted, 50,000 samples (generator outputs) are drawn and scored by
:func:`skSIG.metrics.mode_coverage` (high quality within 3 std, a mode needs > 1000
high-quality samples, KL over 25 modes plus a low-quality bin); mean ± standard error over
the seeds, and the VEEGAN/PacGAN modes (>= 1 high-quality sample). Both models are
``GANSIEstimator(sigma=0.05, loss="wgan-gp")`` with default training and the same networks
and budget: WGAN-GP with ``lam=0``, WGAN-GP-SI with ``--lam`` (default: the estimator's
``lam=1``). The paper reports WGAN-GP-SI only on CIFAR-10 (Table 3); this is the grid
counterpart. On two cores of a first-generation AMD Zen a fit took 470-665 s (two side by
side, one thread each), the 10 fits 50 minutes.

    python benchmarks/scripts/wgan_grid.py            # 5 seeds, one fit per core, doc/results/wgan_grid.*
    python benchmarks/scripts/wgan_grid.py --jobs 1   # one fit at a time
    python benchmarks/scripts/wgan_grid.py --models WGAN-GP-SI --lam 10 --update  # refit one row
    python benchmarks/scripts/wgan_grid.py --quick    # smoke run
"""

import numpy as np
from _common import (GRID_N_SAMPLES, GRID_N_TRAIN, GRID_STD, Checkpoint, add_jobs, add_resume, add_update, fmt,
                     fmt_setting, grid_run, keep_other_runs, n_cores, parser, record_setting, run_jobs,
                     select_models, setup, summarize, write_csv, write_report)

from skSIG import GANSIEstimator

STD, N_TRAIN, N_SAMPLES = GRID_STD, GRID_N_TRAIN, GRID_N_SAMPLES
MODELS = {"WGAN-GP": True, "WGAN-GP-SI": False}  # name: plain (lam = 0)?


def run_one(name, seed, quick, threads, lam=None):
    """Fit one model on one seed's data and score 50,000 samples; a row of the runs CSV
    (``lam``: WGAN-GP-SI's, ``None`` for the estimator's default)."""
    kwargs = {"max_iter": 200, "M": 256} if quick else {}
    if MODELS[name]:
        kwargs["lam"] = 0.0
    elif lam is not None:
        kwargs["lam"] = lam
    model = GANSIEstimator(sigma=STD, loss="wgan-gp", random_state=seed, **kwargs)
    return {**grid_run(name, seed, model, threads, random_state=seed), "lam": model.lam}


def fmt_lam(runs, model):
    """The ``lam`` values of ``model``'s rows (``"?"`` for rows of a runs CSV written before the
    column existed; WGAN-GP's is 0 by construction)."""
    values = dict.fromkeys(f"{float(run['lam']):g}" if run.get("lam", "") != ""
                           else ("0" if MODELS.get(model) else "?")
                           for run in runs if run["model"] == model)
    return ", ".join(values)


def main():
    p = parser(__doc__.split("\n")[0])
    add_jobs(p)
    p.add_argument("--models", default=None,
                   help=f"comma-separated subset of {','.join(MODELS)} (default: both)")
    p.add_argument("--lam", type=float, default=None,
                   help="WGAN-GP-SI's lam (default: the estimator's default, 1)")
    add_update(p)
    add_resume(p)
    args = setup(p.parse_args())
    names = select_models(args, MODELS, MODELS)
    if args.lam is not None and args.lam < 0:
        raise SystemExit("--lam must be at least 0")

    jobs = [(name, seed) for seed in range(args.seeds) for name in names]
    checkpoint = Checkpoint(args, "wgan_grid")
    runs = record_setting(
        run_jobs(run_one, [(name, seed, args.quick, args.threads, args.lam) for name, seed in jobs],
                 args.jobs, checkpoint=checkpoint, key=lambda job: f"{job[0]} seed {job[1]}"), args)
    notes = []
    if args.update:
        order = {name: i for i, name in enumerate(MODELS)}
        runs, note = keep_other_runs(args.out / "wgan_grid_runs.csv", runs, names,
                                     lambda run: (run["seed"], order[run["model"]]))
        notes += [note] if note else []

    write_csv(args.out / "wgan_grid_runs.csv", runs)
    columns, summary = summarize(runs)
    table = []
    for name, col in columns.items():
        # KL at three decimals, as in table1.py: GAN-SI's lie between 0.004 and 0.02
        table.append([name, fmt_lam(runs, name), len(col["kl"]), fmt(col["modes"], 1),
                      fmt(col["high_quality"]), fmt(col["kl"], 3), fmt(col["modes_veegan"], 1),
                      f"{np.mean(col['fit_seconds']):.0f}", fmt_setting(runs, name)])
    write_csv(args.out / "wgan_grid.csv", summary)
    header = ["Model", "λ", "Seeds", "Modes", "High quality", "KL", "Modes (≥ 1 HQ)", "Fit time (s)",
              "Fits × threads"]
    intro = (f"Grid std {STD}, {N_TRAIN} training points, {N_SAMPLES} samples (generator outputs) "
             "per model, mean ± standard error over each row's seeds (0, 1, ..., as many as its "
             "Seeds column says). Both are `GANSIEstimator(sigma=0.05, loss=\"wgan-gp\")` with "
             "default training and the λ (`lam`) of their row; WGAN-GP is `lam=0`. Modes: > 1000 "
             "high-quality samples (paper); Modes (≥ 1 HQ): the VEEGAN/PacGAN protocol. For "
             "reference, Table 1 (`table1.md`): GAN-SI (`loss=\"gan\"`, `lam=1`) 25 / 0.98 / "
             "0.006; the paper's SIG 25 / 0.91 / 0.14; best published (PacGAN4) 24.8 / 0.936 / "
             "0.04. Fit time: mean wall time of one fit, with as many fits sharing the CPU cores, "
             "each on as many torch threads, as the Fits × threads column says (this command ran "
             f"on {n_cores()} cores).")
    write_report(args, "wgan_grid", "WGAN-GP vs WGAN-GP-SI on the 5×5 grid of Gaussians", intro, header, table,
                 notes)
    checkpoint.close()


if __name__ == "__main__":
    main()
