"""Smoke tests of the benchmark baselines and of every script's ``--quick`` mode."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "benchmarks" / "scripts"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(SCRIPTS))

from benchmarks.baselines import GAN, VAE, VEEGAN, UnrolledGAN  # noqa: E402
from fig3a import theorem1  # noqa: E402


def run_script(script, tmp_path, *args, timeout=120, env=None):
    """Run ``benchmarks/scripts/<script> --quick --out tmp_path *args`` in ``tmp_path`` on one
    thread; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, str(SCRIPTS / script), "--quick", "--out", str(tmp_path), *args],
        capture_output=True, text=True, timeout=timeout, cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})},
    )


@pytest.mark.parametrize("cls", [GAN, VAE, VEEGAN, UnrolledGAN])
def test_baseline_fit_sample_seeded(cls, bimodal):
    a = cls(n_steps=5, batch_size=32, random_state=0).fit(bimodal)
    b = cls(n_steps=5, batch_size=32, random_state=0).fit(bimodal)
    sa, sb = a.sample(7), b.sample(7)
    assert sa.shape == (7, 2) and sa.dtype == np.float64
    np.testing.assert_array_equal(sa, sb)
    # the generator is the paper's: 10-d noise, two hidden ReLU layers of 100
    widths = [m.out_features for m in a.generator_ if hasattr(m, "out_features")]
    assert a.generator_[0].in_features == 10 and widths == [100, 100, 2]


def test_theorem1_is_eq15_when_all_modes_survive():
    n = np.repeat(np.array([2, 1, 2, 1, 2]) / 8 / 5, 5)
    for c in (6.0, 10.0, 40.0):
        r = 1 / np.expm1(c**2 / 6)
        np.testing.assert_allclose(theorem1(n, c), n + (n - 1 / 25) * 25 * r)
    # at c = 2 eq. 15 is negative for the light columns: they are dropped, the rest share M
    m = theorem1(n, 2.0)
    assert m.sum() == pytest.approx(1.0) and np.all(m >= 0)
    np.testing.assert_allclose(m.reshape(5, 5).sum(axis=1), [1 / 3, 0, 1 / 3, 0, 1 / 3])


@pytest.mark.parametrize(
    "script, outputs",
    [
        ("table1.py", ["table1.md", "table1.csv", "table1_runs.csv"]),
        ("fig1.py", ["fig1.md", "fig1.csv"]),
        ("fig3a.py", ["fig3a.md", "fig3a.csv"]),
        ("table2.py", ["table2.md", "table2.csv", "table2_runs.csv"]),
        ("wgan_grid.py", ["wgan_grid.md", "wgan_grid.csv", "wgan_grid_runs.csv"]),
        ("peers.py", ["peers.md", "peers.csv"]),
    ],
)
def test_script_quick_mode(script, outputs, tmp_path):
    result = run_script(script, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    for name in outputs:
        assert (tmp_path / name).stat().st_size > 0
    assert "Quick smoke run" in (tmp_path / outputs[0]).read_text()


@pytest.mark.parametrize("dtype", ["uint8", "float"])
def test_table3_cifar_quick_on_user_data(dtype, tmp_path):
    """Table 3's script on 64 random 8x8x3 images with a toy classifier (tests/script_helpers.py):
    the plumbing of user-provided data and classifier, not CIFAR-10."""
    images = np.random.default_rng(0).random((64, 8, 8, 3))
    if dtype == "uint8":
        data = tmp_path / "images.npy"
        np.save(data, (images * 255).astype(np.uint8))
        extra = []
    else:  # flattened float rows need --image-shape
        data = tmp_path / "rows.npy"
        np.save(data, images.reshape(64, -1))
        extra = ["--image-shape", "8,8,3"]
    result = run_script(
        "table3_cifar.py", tmp_path, "--data", str(data), "--classifier", "script_helpers:toy_proba", *extra,
        env={"PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    text = (tmp_path / "table3_cifar.md").read_text()
    assert "Quick smoke run" in text
    for name in ["Real data", "DCGAN", "DCGAN-SI", "WGAN-GP", "WGAN-GP-SI"]:
        assert f"| {name} |" in text
    rows = (tmp_path / "table3_cifar.csv").read_text().splitlines()
    assert len(rows) == 1 + 5  # header, real data, four models


def test_table3_cifar_clear_errors(tmp_path):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.full((4, 8, 8, 3), 2.0))
    result = run_script(
        "table3_cifar.py", tmp_path, "--data", str(bad),
        "--classifier", str(ROOT / "tests" / "script_helpers.py") + ":toy_proba", timeout=60,
    )
    assert result.returncode != 0 and "[0, 1]" in result.stderr


def test_table2_mnist_without_network_is_a_clear_error(tmp_path, monkeypatch):
    import table2

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(table2, "fetch_stacked_mnist", offline)
    with pytest.raises(SystemExit, match="--data mnist needs MNIST"):
        table2.load_data("mnist", 10, 0)


def test_vae_learns_its_decoder_sigma(bimodal):
    # the clusters have std 0.3: the learned sigma leaves its start (1) and shrinks toward the
    # reconstruction error; a fixed sigma stays where it was put
    learned = VAE(n_steps=1000, batch_size=32, random_state=0).fit(bimodal)
    assert 0.05 < float(learned.log_sigma_.detach().exp()) < 0.8
    fixed = VAE(sigma=0.05, n_steps=20, batch_size=64, random_state=0).fit(bimodal)
    assert float(fixed.log_sigma_.exp()) == pytest.approx(0.05) and not fixed.log_sigma_.requires_grad
    with pytest.raises(ValueError, match="sigma"):
        VAE(sigma="fixed", n_steps=1).fit(bimodal)


def test_table1_update_refits_only_the_named_models(tmp_path):
    # a runs CSV from an "earlier run": the GAN rows must survive, with the jobs and threads
    # they were fitted with, and the VAE rows be refitted
    (tmp_path / "table1_runs.csv").write_text(
        "model,seed,modes,modes_veegan,high_quality,kl,fit_seconds,jobs,threads\n"
        "VAE,0,3,4,0.5,9.5,1.0,2,1\nGAN,0,17,21,0.625,1.25,2.0,3,2\n"
    )
    result = run_script("table1.py", tmp_path, "--models", "VAE", "--update")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = (tmp_path / "table1_runs.csv").read_text().splitlines()
    assert rows[1] == "GAN,0,17,21,0.625,1.25,2.0,3,2"  # kept, and put in table order
    assert rows[2].startswith("VAE,0,") and not rows[2].startswith("VAE,0,3,4,0.5,9.5")
    assert rows[2].endswith(",1,1")  # --quick: one job on one thread
    assert len(rows) == 3
    report = (tmp_path / "table1.md").read_text()
    assert "| GAN | 1 | 17.0 | 0.62 | 1.250 | 21.0 | 2 | 3 × 2 |" in report
    assert "kept from an earlier run" in report
    assert "| 1 × 1 |" in [line for line in report.splitlines() if line.startswith("| VAE |")][0]


def test_wgan_grid_update_refits_the_si_row_with_its_lam(tmp_path):
    # a runs CSV written before the lam column existed: its WGAN-GP row is kept (lam 0 by
    # construction), its WGAN-GP-SI row is replaced by a fit with --lam, which the row records
    (tmp_path / "wgan_grid_runs.csv").write_text(
        "model,seed,modes,modes_veegan,high_quality,kl,fit_seconds,jobs,threads\n"
        "WGAN-GP,0,1,1,0.25,3.5,500.0,2,1\nWGAN-GP-SI,0,20,25,0.75,0.5,600.0,2,1\n"
    )
    result = run_script("wgan_grid.py", tmp_path, "--models", "WGAN-GP-SI", "--lam", "2.5", "--update")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = (tmp_path / "wgan_grid_runs.csv").read_text().splitlines()
    assert rows[0].endswith(",fit_seconds,jobs,threads,lam")
    assert rows[1] == "WGAN-GP,0,1,1,0.25,3.5,500.0,2,1,"
    assert rows[2].startswith("WGAN-GP-SI,0,") and rows[2].endswith(",1,1,2.5")
    report = (tmp_path / "wgan_grid.md").read_text()
    assert "| WGAN-GP | 0 | 1 | 1.0 | 0.25 | 3.500 | 1.0 | 500 | 2 × 1 |" in report
    assert [line for line in report.splitlines() if line.startswith("| WGAN-GP-SI |")][0].startswith(
        "| WGAN-GP-SI | 2.5 | 1 |")
    assert "kept from an earlier run" in report
    bad = run_script("wgan_grid.py", tmp_path, "--lam", "-1")
    assert bad.returncode != 0 and "--lam must be at least 0" in bad.stderr


def test_table2_update_keeps_other_sizes_and_counts_their_seeds(tmp_path):
    # two seeds of size M from an "earlier run" survive a quick size-S refit; the Seeds column
    # says how many seeds each row averages, since kept rows can have another count
    header = ("model,size,lam,seed,inception_score,high_quality,exp_h_y_given_x,exp_h_y,modes,kl,"
              "fit_seconds\n")
    (tmp_path / "table2_runs.csv").write_text(
        header
        + "DCGAN-SI(M),M,1.0,0,600.0,0.8,1.5,950.0,1000,0.05,400.0\n"
        + "DCGAN-SI(M),M,1.0,1,700.0,0.9,1.3,960.0,999,0.07,500.0\n"
    )
    result = run_script("table2.py", tmp_path, "--models", "DCGAN-SI", "--update")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = (tmp_path / "table2_runs.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["DCGAN-SI(S)", "DCGAN-SI(M)", "DCGAN-SI(M)"]
    report = (tmp_path / "table2.md").read_text()
    assert report.startswith("# Table 2: DCGAN vs DCGAN-SI on stacked digits, 30-minute budget")
    assert "| DCGAN-SI(M) | 2 | 650.00 ± 50.00 | 0.85 ± 0.05 |" in report
    # the kept rows come from a CSV without jobs and threads: their setting is unknown
    assert "| 999.5 ± 0.5 | 0.060 ± 0.010 | 450 | ? |" in report
    assert rows[0].endswith(",fit_seconds,M,batch_size,max_iter,n_latent,sigma,instance_noise,hm_memory,loss,jobs,"
                            "threads")
    assert rows[2].endswith(",,,,,,,,,,")
    assert "| 1 × 1 |" in [line for line in report.splitlines() if line.startswith("| DCGAN-SI(S) |")][0]
    # each run records the budget it was trained with (--quick's on top of the short budget's
    # sigma; "auto" resolved: one step's memory for the DCGAN's SI term)
    assert ("Budget per fit: M=64, batch_size=64, max_iter=20, n_latent=64, sigma=0.15, hm_memory=1 for "
            "DCGAN-SI(S); unrecorded for DCGAN-SI(M).") in report
    assert "| DCGAN-SI(S) | 1 |" in report and "kept from an earlier run" in report


def test_table2_budget_flags_override_the_estimator_default(tmp_path):
    # --M, --batch-size, --max-iter, --n-latent, --sigma, --instance-noise and --hm-memory reach
    # the fits (and are recorded), so a budget can be compared against the default with the same
    # script
    result = run_script("table2.py", tmp_path, "--models", "DCGAN-SI", "--M", "32", "--batch-size",
                        "16", "--max-iter", "7", "--n-latent", "5", "--sigma", "0.2", "--instance-noise",
                        "0.5", "--hm-memory", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = (tmp_path / "table2_runs.csv").read_text().splitlines()
    assert rows[0].split(",")[-10:-2] == ["M", "batch_size", "max_iter", "n_latent", "sigma", "instance_noise",
                                          "hm_memory", "loss"]
    assert rows[1].split(",")[-10:-2] == ["32", "16", "7", "5", "0.2", "0.5", "2", "gan"]
    report = (tmp_path / "table2.md").read_text()
    assert ("Budget per fit: M=32, batch_size=16, max_iter=7, n_latent=5, sigma=0.2, instance_noise=0.5, "
            "hm_memory=2 for DCGAN-SI(S).") in report
    assert ("same networks and budget (`--budget short`: one per size, for which the whole table runs on two "
            "CPU cores in under 30 minutes; given on the command line: M=32, batch_size=16, max_iter=7, "
            "n_latent=5, sigma=0.2, instance_noise=0.5, hm_memory=2; the note below gives each row's).") in report
    bad = run_script("table2.py", tmp_path, "--sigma", "0")
    assert bad.returncode != 0 and "--sigma must be positive" in bad.stderr


def test_table2_budgets():
    # the short budget (the default) per size, the full one (the estimator's "auto"), --quick's
    # few steps on top of either, and the command line's options on top of everything
    import table2

    short = {size: table2.fit_kwargs(size, "short", {}) for size in "SML"}
    assert short["S"] == short["M"] == {"M": 1024, "batch_size": 512, "max_iter": 2500, "n_latent": 64,
                                        "sigma": 0.15}
    assert short["L"] == {**short["M"], "M": 768, "max_iter": 2000, "sigma": 0.1}
    assert table2.fit_kwargs("L", "full", {}) == {}
    assert table2.fit_kwargs("M", "short", {}, quick=True) == {**short["M"], **table2.QUICK}
    assert table2.fit_kwargs("M", "short", {"M": 7, "sigma": 0.3}, quick=True) == {
        **short["M"], **table2.QUICK, "M": 7, "sigma": 0.3}
    assert [table2.report_name(loss, budget) for loss in ("gan", "wgan-gp") for budget in ("short", "full")] == [
        "table2", "table2_full", "wgan_digits", "wgan_digits_full"]


def test_table2_full_budget_writes_its_own_table_with_the_estimators_defaults(tmp_path):
    # --budget full: the estimator's defaults ("auto" resolved, recorded per run) under --quick's
    # few steps, in table2_full.* beside the short budget's table2.*
    result = run_script("table2.py", tmp_path, "--models", "DCGAN-SI", "--budget", "full")
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (tmp_path / "table2.md").exists()
    rows = [row.split(",") for row in (tmp_path / "table2_full_runs.csv").read_text().splitlines()]
    run = dict(zip(rows[0], rows[1]))
    assert (run["n_latent"], run["sigma"], run["hm_memory"]) == ("64", "0.1", "1")
    report = (tmp_path / "table2_full.md").read_text()
    assert report.startswith("# Table 2: DCGAN vs DCGAN-SI on stacked digits, the estimator's default budget")
    assert "(`--budget full`: the estimator's defaults; the note below gives each row's)" in report


def test_table2_wgan_gp_writes_its_own_table_with_the_lam_of_its_si_rows(tmp_path):
    # --loss wgan-gp: the rows are WGAN-GP / WGAN-GP-SI, fitted with that loss (recorded per run)
    # and --lam, in wgan_digits.* so that Table 2's files stay as they are; no paper columns
    result = run_script("table2.py", tmp_path, "--loss", "wgan-gp", "--lam", "2.5")
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (tmp_path / "table2.md").exists() and (tmp_path / "wgan_digits.csv").exists()
    rows = [row.split(",") for row in (tmp_path / "wgan_digits_runs.csv").read_text().splitlines()]
    runs = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert [(r["model"], r["lam"], r["loss"]) for r in runs] == [
        ("WGAN-GP(S)", "0.0", "wgan-gp"), ("WGAN-GP-SI(S)", "2.5", "wgan-gp")]
    report = (tmp_path / "wgan_digits.md").read_text()
    assert report.startswith("# WGAN-GP vs WGAN-GP-SI on stacked digits (Table 2's protocol), short budget")
    assert "WGAN-GP is `lam=0`, WGAN-GP-SI `lam=2.5`; both with `loss=\"wgan-gp\"`" in report
    assert "| WGAN-GP-SI(S) | 1 |" in report and "Paper" not in report
    bad = run_script("table2.py", tmp_path, "--loss", "wgan-gp", "--models", "DCGAN-SI")
    assert bad.returncode != 0 and "subset of WGAN-GP,WGAN-GP-SI" in bad.stderr
    bad = run_script("table2.py", tmp_path, "--lam", "-1")
    assert bad.returncode != 0 and "--lam must be at least 0" in bad.stderr


def test_run_jobs_checkpoint_resumes_a_stopped_run(tmp_path):
    # each finished fit is saved at once; a resumed run with the same settings runs only the
    # fits the stopped one did not finish and returns the saved rows bit for bit
    from argparse import Namespace

    from _common import Checkpoint, run_jobs

    args = Namespace(out=tmp_path, resume=False, seeds=3, jobs=1, threads=1, quick=False)
    calls = []

    def fit(name, seed, stop_at=None):
        calls.append(seed)
        if seed == stop_at:
            raise KeyboardInterrupt  # the run is stopped during this fit
        return {"model": name, "seed": seed, "kl": seed / 3 + 1e-17 * seed, "modes": np.int64(seed)}

    def key(job):
        return f"{job[0]} seed {job[1]}"

    with pytest.raises(KeyboardInterrupt):
        run_jobs(fit, [("A", s, 2) for s in range(3)], checkpoint=Checkpoint(args, "t"), key=key)
    path = tmp_path / "t_partial.jsonl"
    assert len(path.read_text().splitlines()) == 2
    with open(path, "a") as f:
        f.write('{"key": "A seed 2", "row": {"mod')  # a line the stop cut off
    # other settings (threads) do not reuse the saved fits
    assert Checkpoint(Namespace(**{**vars(args), "resume": True, "threads": 2}), "t").done == {}
    calls.clear()
    resumed = Checkpoint(Namespace(**{**vars(args), "resume": True, "seeds": 4}), "t")
    runs = run_jobs(fit, [("A", s) for s in range(4)], checkpoint=resumed, key=key)
    assert calls == [2, 3]
    assert runs == [{"model": "A", "seed": s, "kl": s / 3 + 1e-17 * s, "modes": s} for s in range(4)]
    assert [type(run["kl"]) for run in runs] == [float] * 4
    # a run without --resume starts afresh, and close() removes the file
    assert Checkpoint(Namespace(**{**vars(args), "resume": True}), "t").done.keys() == {
        "A seed 0", "A seed 1", "A seed 2", "A seed 3"}
    fresh = Checkpoint(args, "t")
    assert fresh.done == {} and path.read_text() == ""
    fresh.close()
    assert not path.exists()


def _alive(pid):
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")
def test_run_jobs_workers_exit_when_the_run_is_killed(tmp_path):
    # joblib's workers outlive a killed parent until their task ends; run_jobs's must not
    script = tmp_path / "run.py"
    script.write_text(
        "import os, sys, time\n"
        f"sys.path.insert(0, {str(SCRIPTS)!r})\n"
        "from _common import run_jobs\n"
        "def job(i, d):\n"
        "    open(os.path.join(d, f'w{i}.tmp'), 'w').write(str(os.getpid()))\n"
        "    os.replace(os.path.join(d, f'w{i}.tmp'), os.path.join(d, f'w{i}'))\n"
        "    time.sleep(600)\n"
        "if __name__ == '__main__':\n"
        "    run_jobs(job, [(i, sys.argv[1]) for i in range(2)], n_jobs=2)\n"
    )
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], cwd=tmp_path)
    files = [tmp_path / "w0", tmp_path / "w1"]
    try:
        deadline = time.monotonic() + 120
        while not all(f.exists() for f in files):
            assert proc.poll() is None and time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        workers = [int(f.read_text()) for f in files]
        assert all(_alive(pid) for pid in workers) and os.getpid() not in workers
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:
        os.kill(pid, 9)
    assert not left, "workers kept running after the run was killed"


def test_table1_resume_skips_the_fits_a_stopped_run_finished(tmp_path, monkeypatch):
    import table1

    fitted = []
    run_one = table1.run_one

    def stopping_run_one(name, seed, quick, threads):
        fitted.append(name)
        if name == "VAE" and stop:
            raise KeyboardInterrupt
        return run_one(name, seed, quick, threads)

    monkeypatch.setattr(table1, "run_one", stopping_run_one)
    argv = ["table1.py", "--quick", "--out", str(tmp_path), "--models", "GAN,VAE"]
    stop = True
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(KeyboardInterrupt):
        table1.main()
    assert fitted == ["GAN", "VAE"] and not (tmp_path / "table1_runs.csv").exists()
    saved = (tmp_path / "table1_partial.jsonl").read_text()
    assert saved.count("\n") == 1 and '"key": "GAN seed 0"' in saved

    stop, fitted[:] = False, []
    monkeypatch.setattr(sys, "argv", [*argv, "--resume"])
    table1.main()
    assert fitted == ["VAE"]  # the GAN's fit is taken from the checkpoint
    rows = (tmp_path / "table1_runs.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["GAN", "VAE"]
    gan = json.loads(saved)["row"]
    assert rows[1].split(",")[:7] == [str(gan[k]) for k in
                                      ("model", "seed", "modes", "modes_veegan", "high_quality", "kl",
                                       "fit_seconds")]
    assert not (tmp_path / "table1_partial.jsonl").exists()  # removed once the tables are written
