"""asv: the cost of the semi-implicit term in a GAN-SI step, against the plain GAN (``lam=0``)
with the same networks, measured in the same run (issue target: overhead below 30% of a step),
and the cost of ``hm_memory=1`` against GAN-SI without it (``hm_memory=0``, the paper's
Algorithm 1). GAN-SI runs with its defaults: for the DCGAN ``hm_memory="auto"`` is 1, so
``track_si_overhead`` includes the memory's columns there.

Step times on a shared machine drift by 10-30% from run to run, so ``track_si_overhead`` fits
the two models alternately, three times each, and compares the medians.

``MallocRetention``: the training loop's tuning of glibc's malloc (``skSIG/_malloc.py``, freed
memory kept for the next step) against glibc's defaults (``SKSIG_RETAIN_MEMORY=0``), on the
size-M DCGAN-SI step of the stacked digits (4096 generated images, two torch threads). malloc's
settings are the process's, so each measurement is a fresh process: three of each, alternating.
"""

import json
import os
import statistics
import subprocess
import sys
import textwrap
import time

from skSIG import GANSIEstimator
from skSIG.datasets import make_gaussian_grid, make_stacked_digits

STEPS = {"mlp-grid": 1000, "dcgan-digits": 200}


def _seconds(est, X):
    start = time.perf_counter()
    est.fit(X)
    return time.perf_counter() - start


class SIOverhead:
    timeout = 900
    params = ["mlp-grid", "dcgan-digits"]
    param_names = ["setting"]

    def setup(self, setting):
        if setting == "mlp-grid":
            self.X, _ = make_gaussian_grid(20000, random_state=0)
            self.kw = dict(sigma=0.05)
        else:
            self.X, _ = make_stacked_digits(5000, random_state=0)
            self.kw = dict(sigma=0.1, architecture="dcgan", image_shape=(8, 8, 3))
        self.kw["max_iter"] = STEPS[setting]

    def _est(self, lam, **params):
        return GANSIEstimator(lam=lam, random_state=0, **self.kw, **params)

    def time_gan_si_steps(self, setting):
        self._est(1.0).fit(self.X)

    def time_plain_gan_steps(self, setting):
        self._est(0.0).fit(self.X)

    def _overhead(self, base, other):
        """``t(other) / t(base) - 1``: medians of three alternating fits of each estimator."""
        first, second = [], []
        for _ in range(3):
            first.append(_seconds(base, self.X))
            second.append(_seconds(other, self.X))
        return statistics.median(second) / statistics.median(first) - 1

    def track_si_overhead(self, setting):
        """``t(GAN-SI) / t(GAN) - 1`` per step, GAN-SI with its defaults (the DCGAN's with
        ``hm_memory=1``): medians of three alternating fits each."""
        return self._overhead(self._est(0.0), self._est(1.0))

    track_si_overhead.unit = "fraction"

    def track_hm_memory_overhead(self, setting):
        """``t(hm_memory=1) / t(hm_memory=0) - 1`` per GAN-SI step (H_M over twice the draws):
        medians of three alternating fits each."""
        return self._overhead(self._est(1.0, hm_memory=0), self._est(1.0, hm_memory=1))

    track_hm_memory_overhead.unit = "fraction"


# One process's measurement: 20 steps to warm up, then 60 timed ones (wall and system time,
# page faults), printed as JSON.
_STEPS_SCRIPT = textwrap.dedent(
    """
    import json, resource, time, torch
    from skSIG import GANSIEstimator
    from skSIG.datasets import make_stacked_digits

    torch.set_num_threads(2)
    X, _ = make_stacked_digits(50000, random_state=0)
    est = GANSIEstimator(architecture="dcgan", image_shape=(8, 8, 3), max_iter=20, random_state=0).fit(X)
    est.set_params(warm_start=True, max_iter=60)
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    est.fit(X)
    wall, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall": wall / 60, "system": (r1.ru_stime - r0.ru_stime) / 60,
                      "faults": (r1.ru_minflt - r0.ru_minflt) / 60}))
    """
)


def _one_process(retain):
    env = {k: v for k, v in os.environ.items() if k != "SKSIG_RETAIN_MEMORY"}
    if not retain:
        env["SKSIG_RETAIN_MEMORY"] = "0"
    out = subprocess.run([sys.executable, "-c", _STEPS_SCRIPT], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


class MallocRetention:
    timeout = 900

    def setup_cache(self):
        runs = {True: [], False: []}
        for r in range(3):
            for retain in (True, False) if r % 2 == 0 else (False, True):
                runs[retain].append(_one_process(retain))
        return {
            ("ours" if retain else "glibc")
            + "_"
            + key: statistics.median(run[key] for run in result)
            for retain, result in runs.items()
            for key in ("wall", "system", "faults")
        }

    def track_speedup(self, m):
        """glibc's defaults' step time over ours (medians of three processes each)."""
        return m["glibc_wall"] / m["ours_wall"]

    track_speedup.unit = "x"

    def track_page_faults_per_step(self, m):
        return m["ours_faults"]

    track_page_faults_per_step.unit = "faults"

    def track_page_faults_per_step_glibc_defaults(self, m):
        return m["glibc_faults"]

    track_page_faults_per_step_glibc_defaults.unit = "faults"

    def track_system_ms_per_step(self, m):
        return 1e3 * m["ours_system"]

    track_system_ms_per_step.unit = "ms"

    def track_system_ms_per_step_glibc_defaults(self, m):
        return 1e3 * m["glibc_system"]

    track_system_ms_per_step_glibc_defaults.unit = "ms"
