"""retain_freed_memory: glibc keeps freed memory for reuse while training, and only then."""

import json
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from skSIG import GANSIEstimator, SemiImplicitDensity, _malloc

glibc_only = pytest.mark.skipif(_malloc._glibc() is None, reason="needs glibc's malloc")

# Rounds of a training step's pattern: twelve 8 MiB blocks (one size-M DCGAN activation each)
# allocated, written and freed. Prints the page faults of the third round inside the block,
# and the resident memory (MiB) after the last round inside and after leaving the block.
_ROUNDS = textwrap.dedent(
    """
    import contextlib, ctypes, json, resource, sys
    from skSIG._malloc import retain_freed_memory

    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    size = 8 << 20

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20

    def one_round():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        blocks = [libc.malloc(size) for _ in range(12)]
        for b in blocks:
            ctypes.memset(b, 1, size)
        for b in blocks:
            libc.free(b)
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    block = retain_freed_memory() if sys.argv[1] == "retain" else contextlib.nullcontext()
    with block:
        faults = [one_round() for _ in range(3)]
        inside = rss()
    print(json.dumps({"faults": faults[-1], "inside": inside, "after": rss()}))
    """
)


def _rounds(mode, **env):
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("MALLOC_") and k not in ("SKSIG_RETAIN_MEMORY", "GLIBC_TUNABLES")}
    out = subprocess.run(
        [sys.executable, "-c", _ROUNDS, mode], env={**environ, **env}, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@glibc_only
def test_freed_memory_is_reused_inside_and_handed_back_after():
    # 96 MiB freed each round: glibc's own heuristic keeps 16 MiB of it (twice the 8 MiB
    # blocks) and faults the rest back in, about 20,000 pages a round.
    plain, kept = _rounds("plain"), _rounds("retain")
    assert plain["faults"] > 10_000
    assert kept["faults"] < plain["faults"] / 20
    # Inside the block the 96 MiB stay resident; leaving it hands all but 64 MiB back.
    assert kept["inside"] - kept["after"] > 24


@glibc_only
@pytest.mark.parametrize("env", [{"SKSIG_RETAIN_MEMORY": "0"}, {"MALLOC_ARENA_MAX": "2"}])
def test_nothing_is_tuned_when_asked_not_to_or_when_malloc_is_configured(env):
    assert _rounds("retain", **env)["faults"] > 10_000


class _FakeLibc:
    def __init__(self):
        self.calls = []

    def mallopt(self, param, value):
        self.calls.append(("mallopt", param, value))
        return 1

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return 1


@pytest.fixture
def fake_libc(monkeypatch):
    libc = _FakeLibc()
    monkeypatch.setattr(_malloc, "_glibc", lambda: libc)
    monkeypatch.delenv("SKSIG_RETAIN_MEMORY", raising=False)
    for name in [n for n in os.environ if n.startswith("MALLOC_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("GLIBC_TUNABLES", "")
    return libc


_ENTER = [
    ("mallopt", _malloc._M_MMAP_THRESHOLD, _malloc._MMAP_THRESHOLD),
    ("mallopt", _malloc._M_TRIM_THRESHOLD, _malloc._TRAINING_TRIM_THRESHOLD),
]
_LEAVE = [
    ("mallopt", _malloc._M_TRIM_THRESHOLD, _malloc._RESTING_TRIM_THRESHOLD),
    ("malloc_trim", _malloc._RESTING_TRIM_THRESHOLD),
]


def test_nested_blocks_tune_once_and_restore_once_even_on_error(fake_libc):
    with pytest.raises(RuntimeError, match="inner"):
        with _malloc.retain_freed_memory():
            assert fake_libc.calls == _ENTER
            with _malloc.retain_freed_memory():
                raise RuntimeError("inner")
    assert fake_libc.calls == _ENTER + _LEAVE
    assert _malloc._depth == 0


def test_concurrent_blocks_restore_when_the_last_leaves(fake_libc):
    entered, release = threading.Barrier(3), threading.Event()

    def fit():
        with _malloc.retain_freed_memory():
            entered.wait()
            release.wait()

    threads = [threading.Thread(target=fit) for _ in range(2)]
    for t in threads:
        t.start()
    entered.wait()
    assert fake_libc.calls == _ENTER
    release.set()
    for t in threads:
        t.join()
    assert fake_libc.calls == _ENTER + _LEAVE


@pytest.mark.parametrize(
    "env", [{"SKSIG_RETAIN_MEMORY": "off"}, {"MALLOC_TRIM_THRESHOLD_": "0"}, {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"}]
)
def test_settings_of_the_process_are_left_alone(fake_libc, monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with _malloc.retain_freed_memory():
        pass
    assert fake_libc.calls == []


def test_training_tunes_malloc_on_the_cpu(fake_libc):
    SemiImplicitDensity(max_iter=3, n_eval_samples=64, random_state=0, device="cpu").fit(np.zeros((20, 2)))
    assert fake_libc.calls == _ENTER + _LEAVE


@pytest.mark.parametrize("make", [
    lambda: SemiImplicitDensity(max_iter=20, M=64, n_eval_samples=64, random_state=0, device="cpu"),
    lambda: GANSIEstimator(architecture="dcgan", image_shape=(8, 8, 3), max_iter=4, M=256, batch_size=64,
                           n_eval_samples=64, random_state=0, device="cpu"),
])
def test_fits_are_the_same_with_and_without_it(monkeypatch, make):
    X = np.random.default_rng(0).random((200, 192))
    kept = make().fit(X).sample(50, random_state=1)
    monkeypatch.setenv("SKSIG_RETAIN_MEMORY", "0")
    plain = make().fit(X).sample(50, random_state=1)
    np.testing.assert_array_equal(kept, plain)
