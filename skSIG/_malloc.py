"""Keep freed heap memory for reuse while a model trains on the CPU (glibc's malloc only).

A training step allocates and frees tens of megabytes of activations and gradients. glibc
gives memory at the top of its heap back to the system whenever more than its trim threshold
is free there, and the next step takes it back page by page: every fresh page costs a page
fault and a zeroing. glibc adjusts that threshold by itself, to twice the largest mapped block
of up to 32 MiB the process has freed so far, so whether a step's memory stays depends on what
the process did before. Fitting the size-M DCGAN of the stacked digits (4096 generated images a
step) on 50,000 images (a 77 MB array, above that limit), a step cost 2,300-3,900 page faults
and 6-9 ms of system time; with the memory kept, 60-530 faults and under 2 ms. Steps took
0.88-0.94 of their time in side-by-side and back-to-back runs; ``MallocRetention`` in
``benchmarks/suite/bench_gan.py`` (two threads) gave 1.11 and 1.01 times as fast in two runs, the
machine's drift being as large as the gain. On 20,000 images (31 MB) glibc's own threshold kept
the memory.

:func:`retain_freed_memory` raises the trim threshold while the training loop runs and then
sets glibc's thresholds to the values its own heuristic reaches in a process that frees
32 MiB blocks (its largest dynamic mmap threshold and twice that as the trim threshold), and
hands the memory held above that back with ``malloc_trim``. The values computed are the same to
the bit: only where the memory comes from changes. Nothing is done on other C libraries
(macOS, Windows, musl), when the process has its own malloc settings (``MALLOC_*`` variables
or ``glibc.malloc`` tunables), or when ``SKSIG_RETAIN_MEMORY=0``.
"""

import contextlib
import ctypes
import functools
import os
import sys
import threading

# mallopt's parameter numbers (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# glibc's largest dynamic mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX).
_MMAP_THRESHOLD = 32 << 20
# While training: free memory kept at the heap's top, up to this much.
_TRAINING_TRIM_THRESHOLD = 1 << 30
# Afterwards: what glibc's heuristic sets with the mmap threshold above.
_RESTING_TRIM_THRESHOLD = 2 * _MMAP_THRESHOLD

_lock = threading.Lock()
_depth = 0


@functools.cache
def _glibc():
    """The C library when it is glibc (it has ``gnu_get_libc_version``), else ``None``; loaded
    once a process, not at every training call (``partial_fit`` makes one a call)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    if not all(hasattr(libc, name) for name in ("gnu_get_libc_version", "mallopt", "malloc_trim")):
        return None
    libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    return libc


def _enabled():
    """Whether to tune glibc's malloc: not switched off (``SKSIG_RETAIN_MEMORY=0``), and no
    malloc settings of the process's own."""
    if os.environ.get("SKSIG_RETAIN_MEMORY", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if any(name.startswith("MALLOC_") for name in os.environ):
        return False
    return "glibc.malloc" not in os.environ.get("GLIBC_TUNABLES", "")


@contextlib.contextmanager
def retain_freed_memory():
    """Keep freed heap memory in the process while the block runs (see the module's docstring).

    Re-entrant and thread-safe: nested or concurrent blocks tune glibc once, and the last to
    leave restores it.
    """
    global _depth
    libc = _glibc() if _enabled() else None
    if libc is None:
        yield
        return
    with _lock:
        if _depth == 0:
            # The mmap threshold first: setting either one fixes both at their values of the
            # moment (glibc then stops adjusting them), and a trim threshold alone could leave
            # the mmap threshold at its initial 128 KiB, every larger block a fresh mapping.
            libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
            libc.mallopt(_M_TRIM_THRESHOLD, _TRAINING_TRIM_THRESHOLD)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                libc.mallopt(_M_TRIM_THRESHOLD, _RESTING_TRIM_THRESHOLD)
                libc.malloc_trim(_RESTING_TRIM_THRESHOLD)
