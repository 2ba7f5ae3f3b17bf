"""Table 2 of the paper: DCGAN vs DCGAN-SI on stacked digits, sizes S/M/L (section 5.3).

Protocol: three digits stacked as the RGB channels of one image (1000 modes, one per digit
triple). By default the offline 8x8 stacked digits of :func:`skSIG.datasets.make_stacked_digits`
(``--data digits``, 50,000 training images); ``--data mnist`` uses Stacked MNIST (28x28x3,
:func:`skSIG.datasets.fetch_stacked_mnist`, needs OpenML to be reachable or MNIST already in
the scikit-learn cache). For each size S/M/L and seed, two models with the same networks and
budget are fitted:

- DCGAN: ``GANSIEstimator(architecture="dcgan", image_shape=..., size=s, lam=0)``;
- DCGAN-SI: the same with the default ``lam`` (or ``--lam``).

``--loss wgan-gp`` fits the same networks with a WGAN-GP critic instead (rows WGAN-GP and
WGAN-GP-SI, the paper's second variant, which it measures on CIFAR-10 only) and writes
``wgan_digits.*`` instead of ``table2.*``. The ``lam`` that measured best differs: 10 on the
25-Gaussian grid (``wgan_grid.py``), the default 1 here (see the estimator's ``lam``).

26,000 generator samples per model are classified by :class:`skSIG.metrics.StackedDigitsClassifier`
(fitted once, on stacked images drawn independently of the training data) and scored by
:func:`skSIG.metrics.image_metrics`: inception score, high-quality fraction (p > 0.7),
exp H(y|x), exp H(y), modes (digit triples with >= 1 sample) and KL(P_g || uniform); mean ±
standard error over the seeds, beside the paper's rows (which are on 28x28 Stacked MNIST
with a CNN classifier, so only the protocol, not the data, is the same for ``--data digits``).

Caveat on the paper's columns: its IS, exp H(y|x) and exp H(y) are at most about 10 (e.g.
exp H(y) = 9.75), so they appear to be computed over the 10 digit classes, while its modes
and KL are over the 1000 triples. Ours are all over the 1000 triples (IS and exp H(y) up to
1000), so only the high-quality, modes and KL columns compare directly with the paper.

Caveat on the classifier: the digit classifier is a logistic regression per channel (see
:class:`~skSIG.metrics.StackedDigitsClassifier`), not the paper's CNN. The table's first row
scores real stacked images (a fresh draw of triples; for ``--data digits`` built from the same
1797 digit images the classifier and the models see) with it: that row is the ceiling a
perfect generator would reach under this classifier.

    python benchmarks/scripts/table2.py                 # S, M, L x 5 seeds -> doc/results/table2.*
    python benchmarks/scripts/table2.py --budget full   # the estimator's budget -> table2_full.*
    python benchmarks/scripts/table2.py --sizes M --seeds 1 --models DCGAN-SI
    python benchmarks/scripts/table2.py --jobs 1 --threads 2   # one fit at a time on 2 threads
    python benchmarks/scripts/table2.py --data mnist    # Stacked MNIST (download)
    python benchmarks/scripts/table2.py --quick         # smoke run (size S, a few steps)
    python benchmarks/scripts/table2.py --resume        # a stopped run: fit only what it missed
    python benchmarks/scripts/table2.py --sizes M --models DCGAN-SI --M 2048 --max-iter 13500 \
        --out /tmp/budget                               # another budget, in a table of its own
    python benchmarks/scripts/table2.py --loss wgan-gp --sizes M   # -> wgan_digits.*

Cost: the table is 3 sizes x 2 models x 5 seeds = 30 fits. The default ``--budget short`` gives each
fit what the whole table can afford in 30 minutes on two CPU cores, one single-threaded fit per
core: 2,500 steps of M=1024 generated images at sizes S and M and 2,000 steps of M=768 at size L
(whose wider generator makes a step cost about 2.8 times one of size M on as many images), each step
with 512 real images and ``n_latent=64``; ``sigma=0.15`` at sizes S and M, which at that cost
covered more triples than the estimator's 0.1 on size M's seeds 0-2 (998, 1000 and 995 against 999,
991 and 986; even on seeds 5-9), and 0.1 at size L, where 0.15 lost many triples on some seeds
(seeds 5-9: 991, 992, 979, 957 and 943 against 987, 987, 985, 996 and 999). On a two-core AMD EPYC
of CPU family 25 with AVX-512 (Zen 4) the default run took 24 minutes: DCGAN-SI fits of 77-91 s at
sizes S and M and 132-134 s at size L, the plain DCGAN's 54-65 s and 121-123 s; DCGAN-SI covered
995.2, 996.2 and 991.0 triples on average at sizes S, M and L (978-1000 over the fifteen fits) with
KL 0.17, 0.17 and 0.16 (the paper's DCGAN-SI(M): 969 triples, KL 0.30), the plain DCGAN 1-15
(``doc/results/table2.md``). The time depends on the CPU: a plain DCGAN(M) fit of the estimator's
budget took 488-496 s on a Zen 5 machine, 805-816 s on the Zen 3 machine below, and a step of it
here (60 steps, alone) 1.5 times Zen 5's, so on Zen 3 the default run may come close to 30 minutes.
The candidates behind the short budget are in the user guide ("Table 2 in 30 minutes").

``--budget full`` fits the estimator's default DCGAN budget (``"auto"``: 7,500 steps of M=4096
generated images (``n_latent=64``) and 512 real ones for sizes S and M, the same number of generated
images as their earlier budget of 15,000 steps of M=2048, which was about 1.14x the time of 20,000
steps of M=1024, ``n_latent=256``; 7,500 steps of M=2048 for size L, whose wider generator makes a
step cost almost three times one of size M on as many images, so that a fit takes about 1.4x one of
size M). On two idle CPU cores one fit of the 20,000-step budget on both threads takes 7-9 minutes
(DCGAN-SI 452 s, DCGAN 418 s; another day 27 ms a step), one of size M's budget of 15,000 steps of
M=2048 9-10 minutes (36-39 ms a step); one single-threaded fit per core (the default ``--jobs``)
runs two fits in 11-13 minutes at sizes S and M (size M's 15,000-step budget) and 17 minutes at size
L (1007-1020 s); on the machine that refitted Table 2's L rows, 21-25 minutes at size L (1238-1520
s). The full table needs about 3.5 hours on such a machine, and the 5 seeds of one size (both
models) 60-85 minutes; its first table in doc/results took about 4.7 hours: L 114 minutes on the
slower machine, M 83 and S 85 minutes (refitted with the generator's banded blocks, S on a slower
day) on a two-core AMD EPYC of CPU family 25, Zen 3. There two fits side by side took 995-1054 s a
size-M fit (DCGAN 805-816 s) and 1127-1181 s a size-S fit (DCGAN 773-851 s), and one size-M fit
alone on both threads 548-674 s; before the bands, 1125-1151 s (DCGAN 857-1022 s), 1001-1038 s
(DCGAN 788-828 s, with the retained memory of skSIG/_malloc.py) and 645-651 s. Cores differ: on a
two-core AMD EPYC with AVX2 only, two DCGAN-SI fits of the 20,000-step budget side by side took
1186-1240 s each (640 s on the machine above), so there the table takes about twice as long. Its
refitted DCGAN-SI rows (the defaults of today) took 562-837 s a fit, two side by side, on a two-core
Zen 5 machine. Merely cutting that budget's steps does not make a short budget: at ``--max-iter
1500`` of an earlier budget (M=2048, ``sigma=0.1``) DCGAN-SI(M) covered 957 triples with KL 0.36
(seed 0), below the paper's row (969, 0.30). Use ``--sizes``, ``--seeds``, ``--models`` or a GPU
(``--device cuda``) to fit the full budget into a time budget; ``--max-iter``, ``--M``,
``--batch-size``, ``--n-latent`` and ``--sigma`` change either budget, ``--instance-noise`` what the
discriminator sees and ``--hm-memory`` the draws in H_M (and then the protocol). On one H100, eight
or nine size-M fits of 20,000 steps (the then default's budget, or variants of about its cost), each
in its own process, ran side by side in 237-261 s each (measured with a sweep script, not through
``--jobs``), so on such a GPU the table's 30 fits should take about 20 minutes (an estimate from
those times, not a measured run of this script). """

import time

import numpy as np
from _common import (Checkpoint, add_jobs, add_resume, add_update, fmt, fmt_setting, keep_other_runs, log,
                     n_cores, parser, record_setting, run_jobs, setup, summarize, write_csv, write_report)

from skSIG import GANSIEstimator
from skSIG.datasets import fetch_stacked_mnist, make_stacked_digits
from skSIG.metrics import StackedDigitsClassifier, image_metrics

N_TRAIN, N_SAMPLES, N_CLASSIFIER = 50000, 26000, 10000
SHAPES = {"digits": (8, 8, 3), "mnist": (28, 28, 3)}
METRICS = ["inception_score", "high_quality", "exp_h_y_given_x", "exp_h_y", "modes", "kl"]
HEADER = ["IS", "High quality", r"exp H(y\|x)", "exp H(y)", "Modes", "KL"]
PAPER = {  # Table 2 of the paper (Stacked MNIST 28x28x3, 5 runs): mean ± standard error
    "DCGAN(S)": ("2.9 ± 0.52", "0.63 ± 0.14", "1.96 ± 0.32", "5.1 ± 1.19", "21.0 ± 8.12", "4.99 ± 0.24"),
    "DCGAN-SI(S)": ("4.33 ± 0.59", "0.6 ± 0.07", "2.05 ± 0.2", "8.78 ± 0.41", "279.2 ± 296.52", "2.63 ± 1.0"),
    "DCGAN(M)": ("5.59 ± 0.36", "0.7 ± 0.03", "1.71 ± 0.09", "9.51 ± 0.31", "811.8 ± 116.24", "0.75 ± 0.35"),
    "DCGAN-SI(M)": ("5.93 ± 0.47", "0.72 ± 0.04", "1.65 ± 0.11", "9.75 ± 0.11", "969.0 ± 29.19", "0.3 ± 0.13"),
    "DCGAN(L)": ("4.71 ± 1.12", "0.67 ± 0.08", "1.78 ± 0.17", "8.25 ± 1.32", "389.8 ± 477.24", "2.95 ± 2.33"),
    "DCGAN-SI(L)": ("6.05 ± 0.68", "0.73 ± 0.06", "1.62 ± 0.17", "9.75 ± 0.12", "957.0 ± 32.74", "0.36 ± 0.12"),
}
QUICK = {"max_iter": 20, "M": 64, "batch_size": 64, "n_eval_samples": 64}
# The budgets of --budget, per size. "short", the default, is sized so that the 30 fits of the
# whole table run on two CPU cores in under 30 minutes (see the docstring's Cost); at that cost
# sigma=0.15 covered more triples than the estimator's 0.1 at size M, and fewer at size L, which
# keeps 0.1. "full" is the estimator's defaults.
_SHORT = {"M": 1024, "batch_size": 512, "max_iter": 2500, "n_latent": 64, "sigma": 0.15}
BUDGETS = {
    "short": {"S": _SHORT, "M": _SHORT, "L": {**_SHORT, "M": 768, "max_iter": 2000, "sigma": 0.1}},
    "full": {"S": {}, "M": {}, "L": {}},
}
# recorded per run: defaults change between commits
BUDGET = ("M", "batch_size", "max_iter", "n_latent", "sigma")
# Also recorded per run, and named in the budget note only where it is not 0 (Algorithm 1).
OPTIONS = ("instance_noise", "hm_memory")


def load_data(kind, n_samples, random_state, data_home=None):
    """Stacked images ``(n, H*W*3)`` in [0, 1] and their labels; a clear exit if MNIST is out of reach."""
    if kind == "digits":
        return make_stacked_digits(n_samples, random_state=random_state)
    try:
        return fetch_stacked_mnist(n_samples, data_home=data_home, random_state=random_state)
    except Exception as exc:  # URLError, HTTPError, OSError, timeouts: all mean "no MNIST here"
        raise SystemExit(
            f"--data mnist needs MNIST from OpenML (sklearn.datasets.fetch_openml('mnist_784')), "
            f"which could not be loaded: {type(exc).__name__}: {exc}\n"
            "Run once where the network is reachable (the download is cached in --data-home), "
            "or use the offline '--data digits'."
        ) from None


def model_names(loss):
    """The plain and the SI model of ``loss``: the paper's DCGAN / DCGAN-SI or WGAN-GP / WGAN-GP-SI."""
    plain = "DCGAN" if loss == "gan" else "WGAN-GP"
    return plain, f"{plain}-SI"


def model_name(lam_zero, size, loss="gan"):
    plain, si = model_names(loss)
    return f"{plain if lam_zero else si}({size})"


def run_one(name, size, lam_zero, seed, args):
    """Fit one model on one seed's data and score its samples; a row of the runs CSV."""
    import torch

    torch.set_num_threads(args.threads)
    n_train = 2000 if args.quick else args.n_train
    X, _ = load_data(args.data, n_train, seed, args.data_home)
    kwargs = fit_kwargs(size, args.budget, args.overrides, args.quick)
    if lam_zero:
        kwargs["lam"] = 0.0
    model = GANSIEstimator(architecture="dcgan", image_shape=SHAPES[args.data], size=size,
                           device=args.device, random_state=seed,
                           verbose=0 if args.quick else 1, **kwargs)  # progress ten times a fit
    log(f"seed {seed}: fitting {name} on {len(X)} images")
    start = time.perf_counter()
    model.fit(X)
    seconds = time.perf_counter() - start
    n_samples = 2000 if args.quick else N_SAMPLES
    samples = np.clip(model.sample(n_samples, random_state=seed), 0.0, 1.0)
    r = image_metrics(args.classifier.predict_proba(samples))
    log(f"seed {seed}: {name}: IS {r['inception_score']:.2f}, high quality "
        f"{r['high_quality']:.3f}, modes {r['modes']}, KL {r['kl']:.3f} ({seconds:.0f} s)")
    return {"model": name, "size": size, "lam": 0.0 if lam_zero else model.lam_, "seed": seed,
            **{key: r[key] for key in METRICS}, "fit_seconds": seconds,
            **{key: model._setting(key) for key in BUDGET + OPTIONS},  # "auto" resolved
            "loss": model.loss}


def fit_kwargs(size, budget, overrides, quick=False):
    """The estimator's parameters for one fit of size ``size``: ``budget``'s (a key of
    ``BUDGETS``), then ``QUICK``'s for a smoke run, then ``overrides`` (the options given on the
    command line)."""
    return {**BUDGETS[budget][size], **(QUICK if quick else {}), **overrides}


def report_name(loss, budget):
    """Basename of the outputs: ``table2`` (``wgan_digits`` for WGAN-GP), ``_full`` appended for
    the estimator's budget, so that the two budgets' tables sit side by side."""
    return ("table2" if loss == "gan" else "wgan_digits") + ("_full" if budget == "full" else "")


def budget_note(runs):
    """Which rows were trained with which ``M``, ``batch_size``, ``max_iter``, ``n_latent`` and
    ``sigma``, and ``instance_noise`` and ``hm_memory`` where they are not 0 (the runs CSV records
    them; a value kept from a CSV written before its column existed is left out, and a row with
    none is "unrecorded")."""
    groups = {}
    for run in runs:
        keys = [key for key in BUDGET if run.get(key, "") != ""]
        keys += [key for key in OPTIONS if run.get(key, "") != "" and float(run[key]) != 0]
        budget = ", ".join(f"{key}={run[key]}" for key in keys) or "unrecorded"
        groups.setdefault(budget, {})[run["model"]] = None
    return "Budget per fit: " + "; ".join(f"{budget} for {', '.join(models)}"
                                          for budget, models in groups.items()) + "."


def main():
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--sizes", default="S,M,L", help="comma-separated subset of S,M,L (default all)")
    p.add_argument("--data", choices=sorted(SHAPES), default="digits",
                   help="'digits': offline 8x8 stacked digits (default); 'mnist': Stacked MNIST")
    p.add_argument("--data-home", default=None, help="scikit-learn data cache for --data mnist")
    p.add_argument("--n-train", type=int, default=N_TRAIN,
                   help=f"training images per seed (default {N_TRAIN})")
    p.add_argument("--budget", choices=sorted(BUDGETS), default="short",
                   help="'short' (default): a budget per size for which the whole table runs on two "
                        "CPU cores in under 30 minutes (sizes S and M: M=1024, max_iter=2500, "
                        "sigma=0.15; L: M=768, max_iter=2000, sigma=0.1; all batch_size=512, "
                        "n_latent=64); "
                        "'full': the estimator's defaults (7,500 steps of M=4096, 2048 at size "
                        "L; sigma=0.1), hours (about 4.7 the first time), written to table2_full.*")
    p.add_argument("--max-iter", type=int, default=None,
                   help="training steps per fit (default: --budget's)")
    p.add_argument("--M", type=int, default=None, dest="M",
                   help="generated samples per step (default: --budget's)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="data rows per step (default: --budget's)")
    p.add_argument("--n-latent", type=int, default=None,
                   help="dimension of the generator's z (default: --budget's)")
    p.add_argument("--sigma", type=float, default=None,
                   help="sigma of the H_M term (default: --budget's)")
    p.add_argument("--instance-noise", type=float, default=None,
                   help="GANSIEstimator's instance_noise (default: 0, the paper's Algorithm 1)")
    p.add_argument("--hm-memory", type=int, default=None,
                   help="GANSIEstimator's hm_memory (default: the estimator's 'auto', 1 for the SI rows "
                        "and 0 for the plain ones; 0 is the paper's Algorithm 1)")
    p.add_argument("--loss", choices=["gan", "wgan-gp"], default=None,
                   help="GANSIEstimator's loss (default 'gan': DCGAN vs DCGAN-SI, Table 2); 'wgan-gp': "
                        "WGAN-GP vs WGAN-GP-SI, written to wgan_digits.* instead of table2.*")
    p.add_argument("--lam", type=float, default=None,
                   help="lam of the SI rows (default: the estimator's default; the plain rows use 0)")
    p.add_argument("--device", default="auto", help="torch device of the fits (default 'auto')")
    p.add_argument("--models", default=None,
                   help="comma-separated subset of DCGAN,DCGAN-SI (with --loss wgan-gp: "
                        "WGAN-GP,WGAN-GP-SI; default both)")
    add_jobs(p)
    add_update(p)
    add_resume(p)
    args = setup(p.parse_args())
    # --M, --batch-size, --max-iter, --n-latent, --sigma, --instance-noise, --hm-memory, --loss,
    # --lam: they override --budget's values and the estimator's options (run_one sets lam=0 for
    # the plain rows)
    args.overrides = {key: getattr(args, key) for key in BUDGET + OPTIONS + ("loss", "lam")
                      if getattr(args, key) is not None}
    if args.sigma is not None and args.sigma <= 0:
        raise SystemExit("--sigma must be positive")
    if args.lam is not None and args.lam < 0:
        raise SystemExit("--lam must be at least 0")
    if args.hm_memory is not None and args.hm_memory < 0:
        raise SystemExit("--hm-memory must be at least 0")
    loss = args.loss or "gan"
    plain, si = model_names(loss)
    models = [m.strip() for m in (args.models or f"{plain},{si}").split(",") if m.strip()]
    if not models or set(models) - {plain, si}:
        raise SystemExit(f"--models must be a subset of {plain},{si}, got {args.models!r}")
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    if not sizes or set(sizes) - {"S", "M", "L"}:
        raise SystemExit(f"--sizes must be a subset of S,M,L, got {args.sizes!r}")
    if args.quick:
        sizes = sizes[:1]

    log(f"fitting the evaluation classifier on {N_CLASSIFIER} stacked {args.data} images")
    Xc, yc = load_data(args.data, 2000 if args.quick else N_CLASSIFIER, 10**6, args.data_home)
    args.classifier = StackedDigitsClassifier().fit(Xc, yc)
    Xr, _ = load_data(args.data, 2000 if args.quick else N_SAMPLES, 10**6 + 1, args.data_home)
    real = image_metrics(args.classifier.predict_proba(Xr))
    log(f"real stacked images: IS {real['inception_score']:.2f}, high quality "
        f"{real['high_quality']:.3f}, modes {real['modes']}, KL {real['kl']:.3f}")

    jobs = [(model_name(lam_zero, size, loss), size, lam_zero, seed)
            for size in sizes for lam_zero in (True, False) for seed in range(args.seeds)
            if (plain if lam_zero else si) in models]
    report = report_name(loss, args.budget)
    checkpoint = Checkpoint(args, report)
    runs = record_setting(run_jobs(run_one, [(*job, args) for job in jobs], args.jobs,
                                   checkpoint=checkpoint, key=lambda job: f"{job[0]} seed {job[3]}"),
                          args)
    notes = []
    if args.update:
        table_order = [model_name(lam_zero, size, loss) for size in "SML" for lam_zero in (True, False)]
        order = {name: i for i, name in enumerate(table_order)}
        runs, note = keep_other_runs(args.out / f"{report}_runs.csv", runs,
                                     list(dict.fromkeys(job[0] for job in jobs)),
                                     lambda run: (order[run["model"]], run["seed"]))
        notes += [note] if note else []

    write_csv(args.out / f"{report}_runs.csv", runs)
    table = []
    n_real = len(Xr)
    # KL at three decimals: ours lie between the sampling floor (~0.02) and 0.1
    decimals = {"modes": 1, "kl": 3}
    columns, summary = summarize(runs, METRICS + ["fit_seconds"])
    # the paper's columns for DCGAN and DCGAN-SI (it has no WGAN-GP rows on Stacked MNIST)
    paper = loss == "gan"
    table.append([f"Real stacked images ({n_real})", "–",
                  *(f"{real[k]:.0f}" if k == "modes" else f"{real[k]:.{decimals.get(k, 2)}f}"
                    for k in METRICS),
                  "–", "–", *["–"] * (len(HEADER) if paper else 0)])
    for name, col in columns.items():
        table.append([name, len(col["kl"]), *(fmt(col[k], decimals.get(k, 2)) for k in METRICS),
                      f"{np.mean(col['fit_seconds']):.0f}",
                      fmt_setting(runs, name), *(PAPER[name] if paper else [])])
    write_csv(args.out / f"{report}.csv", summary)
    header = ["Model", "Seeds", *HEADER, "Fit time (s)", "Fits × threads",
              *(f"Paper {h}" for h in HEADER if paper)]
    shape = "×".join(map(str, SHAPES[args.data]))
    data_text = ("scikit-learn's 8×8 digits stacked as RGB (offline; the paper uses 28×28 "
                 "Stacked MNIST)" if args.data == "digits" else "Stacked MNIST")
    given = ", ".join(f"{key}={value}" for key, value in args.overrides.items() if key not in ("loss", "lam"))
    intro = (f"Data: {data_text}, images {shape}, {2000 if args.quick else args.n_train} training "
             f"images per seed; {2000 if args.quick else N_SAMPLES} samples per model scored by "
             f"`StackedDigitsClassifier` (logistic regression per channel, fitted on "
             f"{len(Xc)} independent stacked images); mean ± standard error over each "
             "row's seeds (0, 1, ..., as many as its Seeds column says). Fit time: mean wall "
             "time of one fit, with as many fits sharing the CPU cores, each on as many torch "
             "threads, as the Fits × threads column says (the `--jobs` and `--threads` of the "
             f"command that fitted the row; this command ran on {n_cores()} cores). {plain} is "
             f"`lam=0`, {si} " + (f"`lam={args.lam:g}`" if args.lam is not None else "the default `lam`")
             + ("" if loss == "gan" else "; both with `loss=\"wgan-gp\"`, a WGAN-GP critic (gradient "
                "penalty 10) in place of the discriminator, on Table 2's networks")
             + f"; same networks and budget (`--budget {args.budget}`: "
             + ("one per size, for which the whole table runs on two CPU cores in under 30 minutes"
                if args.budget == "short" else "the estimator's defaults")
             + (f"; given on the command line: {given}" if given else "")
             + "; the note below gives each row's)"
             + ". Modes: digit "
             "triples with ≥ 1 sample; KL: KL(P_g ‖ uniform). The first row scores real "
             "stacked images (fresh triples): the ceiling under this classifier. Our IS and "
             "exp H columns are over the 1000 triples"
             + ("; the paper's (≤ 10) appear to be over the 10 digits, so compare high quality, "
                "modes and KL." if paper else "; the paper has no WGAN-GP rows on Stacked MNIST."))
    title = (("Table 2: DCGAN vs DCGAN-SI on stacked digits" if loss == "gan"
              else "WGAN-GP vs WGAN-GP-SI on stacked digits (Table 2's protocol)")
             + (", the estimator's default budget" if args.budget == "full"
                else ", 30-minute budget" if loss == "gan" else ", short budget"))
    write_report(args, report, title, intro, header, table, [budget_note(runs), *notes])
    checkpoint.close()


if __name__ == "__main__":
    main()
