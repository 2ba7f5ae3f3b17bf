"""Helpers shared by the scripts that regenerate the paper's tables and figures."""

import argparse
import csv
import json
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # lets ``python benchmarks/scripts/x.py`` import the baselines
    sys.path.insert(0, str(ROOT))

DEFAULT_OUT = ROOT / "doc" / "results"


def parser(description, default_seeds=5):
    """An ``argparse`` parser with the options every script shares."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true",
                   help="smoke run: few training steps, one seed (well under a minute)")
    p.add_argument("--seeds", type=int, default=default_seeds,
                   help=f"number of random seeds 0, 1, ... (default {default_seeds})")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help=f"folder for the Markdown, CSV and PNG outputs (default {DEFAULT_OUT})")
    p.add_argument("--threads", type=int, default=1,
                   help="torch intra-op threads (default 1)")
    return p


def n_cores():
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def add_jobs(p):
    """``--jobs``: fits in parallel processes, by default one per core (each on ``--threads``)."""
    p.add_argument("--jobs", type=int, default=None,
                   help="fits run in parallel processes (default: one per CPU core, "
                        f"{n_cores()} here; 1 with --quick)")


def setup(args):
    """Apply ``--threads``, ``--quick`` and the default ``--jobs``; create the output folder."""
    import torch

    torch.set_num_threads(args.threads)
    if args.quick:
        args.seeds = 1
    if hasattr(args, "jobs"):
        if args.jobs is None:
            args.jobs = 1 if args.quick else n_cores()
        if args.jobs < 1:
            raise SystemExit("--jobs must be at least 1")
    if args.seeds < 1:
        raise SystemExit("--seeds must be at least 1")
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# Paper Table 1 protocol on the 5x5 grid: component std, training points, samples scored.
GRID_STD, GRID_N_TRAIN, GRID_N_SAMPLES = 0.05, 20000, 50000


def grid_run(name, seed, model, threads, **sample_kw):
    """Fit ``model`` on one seed's grid data, score ``GRID_N_SAMPLES`` samples with the paper's
    protocol, and return a row of the runs CSV (``sample_kw`` goes to ``model.sample``)."""
    import torch

    from skSIG.datasets import grid_centers, make_gaussian_grid
    from skSIG.metrics import mode_coverage

    torch.set_num_threads(threads)
    X, _ = make_gaussian_grid(GRID_N_TRAIN, std=GRID_STD, random_state=seed)
    log(f"seed {seed}: fitting {name}")
    start = time.perf_counter()
    model.fit(X)
    seconds = time.perf_counter() - start
    r = mode_coverage(model.sample(GRID_N_SAMPLES, **sample_kw), grid_centers(), std=GRID_STD)
    veegan_modes = int((r["counts"] > 0).sum())  # = mode_coverage(..., min_count=0)
    log(f"seed {seed}: {name}: modes {r['modes']}, high quality "
        f"{r['high_quality']:.3f}, KL {r['kl']:.3f} ({seconds:.0f} s)")
    return {"model": name, "seed": seed, "modes": r["modes"], "modes_veegan": veegan_modes,
            "high_quality": r["high_quality"], "kl": r["kl"], "fit_seconds": seconds}


def progress(iterable, total, label="fits"):
    """Yield from ``iterable``, printing a text progress bar with the remaining time after each item."""
    start = time.perf_counter()
    for done, item in enumerate(iterable, 1):
        elapsed = time.perf_counter() - start
        bar = "#" * round(20 * done / total)
        log(f"[{bar:<20}] {done}/{total} {label}, elapsed {elapsed:.0f}s, "
            f"remaining ~{elapsed / done * (total - done):.0f}s")
        yield item


def _exit_with_parent(parent, poll=1.0):
    """In a worker process: a daemon thread that ends the process once ``parent`` is gone.

    joblib's (loky's) workers outlive a parent that was killed (``kill PID``, a closed
    terminal, a job scheduler's stop) until their task returns, and a fit here runs for up
    to 25 minutes: without this a stopped run left both cores busy with fits nobody would
    read. An orphan's parent id changes (to init or a subreaper), which the thread checks
    every ``poll`` seconds. Once per worker process.
    """
    if os.getpid() == parent or getattr(_exit_with_parent, "watching", False):
        return
    _exit_with_parent.watching = True

    def watch():
        while os.getppid() == parent:
            time.sleep(poll)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _in_worker(parent, fn, *job):
    """``fn(*job)`` in a worker that exits with ``parent`` (see :func:`_exit_with_parent`)."""
    _exit_with_parent(parent)
    return fn(*job)


def run_jobs(fn, jobs, n_jobs=1, label="fits", checkpoint=None, key=None):
    """``[fn(*job) for job in jobs]``, in ``n_jobs`` processes when > 1, with a progress bar.

    Worker processes get the repository root on ``PYTHONPATH`` so they can import the
    baselines. With a ``checkpoint`` (a :class:`Checkpoint`), each result is saved under
    ``key(job)`` (a string) as soon as its job is done, and a job whose key the checkpoint
    already holds is not run again: its saved result takes its place. Workers exit when this
    process dies, so a stopped run leaves no fit running.
    """
    out = [None] * len(jobs)
    if checkpoint is not None:
        keys = [key(job) for job in jobs]
        for i, k in enumerate(keys):
            out[i] = checkpoint.done.get(k)
    todo = [i for i in range(len(jobs)) if out[i] is None]
    if len(todo) < len(jobs):
        log(f"resuming: {len(jobs) - len(todo)} of {len(jobs)} {label} taken from {checkpoint.path}")
    pending = [jobs[i] for i in todo]
    if n_jobs == 1:
        results = (fn(*job) for job in pending)
    else:
        from joblib import Parallel, delayed

        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
        parent = os.getpid()
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_in_worker)(parent, fn, *job) for job in pending)
    for i, result in zip(todo, progress(results, len(pending), label)):
        if checkpoint is not None:
            checkpoint.add(keys[i], result)
        out[i] = result
    return out


# Options that only choose which fits run or where the outputs go: a resumed run may change them.
NOT_CONFIG = ("resume", "update", "seeds", "models", "sizes", "out")


class Checkpoint:
    """The finished fits of a run, kept so that a stopped run can be resumed (``--resume``).

    Each finished fit is appended to ``<out>/<name>_partial.jsonl`` as one JSON line holding
    its key, its row of the runs CSV and the run's settings (every option of ``args`` but
    those in ``NOT_CONFIG``: a fit is reused only by a run with the same settings, including
    ``--jobs`` and ``--threads``, on which its fit time depends). With ``resume=False`` a file
    left by a stopped run is started afresh; :meth:`close` deletes it once the run has written
    its tables.
    """

    def __init__(self, args, name):
        self.path = Path(args.out) / f"{name}_partial.jsonl"
        self.config = {key: str(value) if isinstance(value, Path) else value
                       for key, value in sorted(vars(args).items())
                       if key not in NOT_CONFIG
                       and isinstance(value, (str, int, float, bool, type(None), Path))}
        lines, entries = self._read() if self.path.exists() else ([], [])
        saved = {entry["key"]: entry["row"] for entry in entries if entry.get("config") == self.config}
        self.done = saved if args.resume else {}
        if saved and not args.resume:
            log(f"{self.path} holds {len(saved)} fits of a stopped run with these settings; "
                "starting afresh (--resume reuses them)")
        # resuming keeps the whole lines (a line a stop cut off is dropped, so that the next
        # one starts on a line of its own); a fresh run starts an empty file
        self.path.write_text("".join(line + "\n" for line in lines) if args.resume else "")

    def _read(self):
        """The file's whole lines and their entries."""
        lines, entries = [], []
        for line in self.path.read_text().splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:  # the line a stop cut off
                continue
            lines.append(line)
        return lines, entries

    def add(self, key, row):
        self.done[key] = row
        line = json.dumps({"key": key, "row": row, "config": self.config},
                          default=lambda value: value.item())  # numpy scalars
        with open(self.path, "a") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def close(self):
        self.path.unlink(missing_ok=True)


def add_resume(p):
    """``--resume``: reuse the fits a stopped run of the same command finished."""
    p.add_argument("--resume", action="store_true",
                   help="reuse the fits that a stopped run with the same settings finished "
                        "(kept in <out>/<script>_partial.jsonl until a run writes its tables); "
                        "--seeds, --models, --sizes and --update may differ")


def mean_se(values):
    """Mean and standard error (``std(ddof=1) / sqrt(n)``, 0 for one value)."""
    values = np.asarray(values, dtype=float)
    se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else 0.0
    return float(values.mean()), float(se)


def summarize(runs, keys=None):
    """Group the runs-CSV rows by model, in first-seen order.

    Returns ``(columns, summary)``: ``columns`` maps each model to ``{key: [value per seed]}``
    (``keys``, default every key but ``model`` and ``seed``), and ``summary`` holds one row per
    model with ``n_seeds`` and the ``<key>_mean`` / ``<key>_se`` of each key (the summary CSV).
    """
    columns, summary = {}, []
    for name in dict.fromkeys(run["model"] for run in runs):
        rs = [run for run in runs if run["model"] == name]
        names = keys if keys is not None else [key for key in rs[0] if key not in ("model", "seed", *SETTING)]
        col = columns[name] = {key: [run[key] for run in rs] for key in names}
        summary.append({"model": name, "n_seeds": len(rs),
                        **{f"{k}_{stat}": v for k, vals in col.items()
                           for stat, v in zip(("mean", "se"), mean_se(vals))}})
    return columns, summary


# Columns of a runs CSV that say how a fit ran rather than what it found.
SETTING = ("jobs", "threads")


def record_setting(runs, args):
    """``runs`` with ``jobs`` and ``threads`` appended to each row: how many fits shared the
    cores and the torch threads of each, which the row's ``fit_seconds`` depends on."""
    return [{**run, "jobs": args.jobs, "threads": args.threads} for run in runs]


def fmt_setting(runs, model):
    """``"fits × threads"`` of ``model``'s rows of ``runs`` (``"?"`` for rows kept from a runs
    CSV written before these columns existed), for the report's column beside the fit time."""
    settings = dict.fromkeys(
        f"{run['jobs']} × {run['threads']}" if run.get("jobs", "") != "" else "?"
        for run in runs if run["model"] == model)
    return ", ".join(settings)


def fmt(values, digits=2):
    """``mean ± se`` of ``values`` as the paper prints it; just the value for one seed."""
    mean, se = mean_se(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


def write_csv(path, rows):
    """Write a list of dicts; a key some rows lack (rows kept from a CSV written before that
    column existed, e.g. ``jobs``) is left empty in them."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(dict.fromkeys(k for row in rows for k in row)),
                                restval="")
        writer.writeheader()
        writer.writerows(rows)


def read_runs(path):
    """The rows of a runs CSV written by :func:`write_csv`, numbers parsed (int where exact)."""
    if not Path(path).exists():
        raise SystemExit(f"{path} does not exist: nothing to keep")

    def parse(value):
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
        return value

    with open(path, newline="") as f:
        return [{key: parse(value) for key, value in row.items()} for row in csv.DictReader(f)]


def add_update(p):
    """``--update``: refit only ``--models``, keep the other models' runs from the runs CSV."""
    p.add_argument("--update", action="store_true",
                   help="refit only --models and keep the other models' runs from the runs "
                        "CSV already in --out")


def select_models(args, names, known):
    """``names`` (in their order) restricted to ``--models``, whose entries must be in
    ``known``; ``--update`` needs ``--models`` (the models to refit)."""
    if args.update and not args.models:
        raise SystemExit("--update needs --models: the models to refit")
    if not args.models:
        return list(names)
    wanted = [m.strip() for m in args.models.split(",")]
    unknown = set(wanted) - set(known)
    if unknown:
        raise SystemExit(f"unknown models {sorted(unknown)}; choose from {list(known)}")
    return [name for name in names if name in wanted]


def keep_other_runs(path, runs, refitted, order):
    """``runs`` plus the rows of the runs CSV at ``path`` whose model is not in ``refitted``,
    sorted by ``order(row)``; and a note for the report saying which rows were kept (None
    when none were)."""
    kept = [run for run in read_runs(path) if run["model"] not in refitted]
    if not kept:
        return sorted(runs, key=order), None
    note = (f"Runs of {', '.join(dict.fromkeys(r['model'] for r in kept))} are kept from an "
            f"earlier run ({Path(path).name}); this command refitted {', '.join(refitted)}.")
    return sorted(kept + runs, key=order), note


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_report(args, name, title, intro, header, rows, notes=()):
    """Write ``{name}.md`` into ``args.out`` (title, intro, table, notes, the command) and print it."""
    text = "\n\n".join([
        f"# {title}",
        intro,
        markdown_table(header, rows),
        *(f"Note: {n}" for n in notes),
        *(["**Quick smoke run: too few steps for the numbers to mean anything.**"]
          if args.quick else []),
        f"Command: `{command_line()}`",
    ])
    (args.out / f"{name}.md").write_text(text + "\n")
    log(f"wrote {args.out / (name + '.md')} and {name}.csv, {name}_runs.csv")
    print(text)


def command_line():
    return "python " + " ".join([str(Path(sys.argv[0]).resolve().relative_to(ROOT))] + sys.argv[1:])


def save_figure(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    log(f"wrote {path}")


def matplotlib_pyplot():
    """``matplotlib.pyplot`` with the Agg backend, or None (with a note) when not installed."""
    try:
        import matplotlib
    except ImportError:
        log("matplotlib is not installed (pip install matplotlib): skipping the figure")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
