"""Helpers for tests/test_scripts.py: a toy classifier for ``table3_cifar.py --classifier``."""

import numpy as np


def toy_proba(images):
    """Ten-class probabilities of an ``(n, H, W, C)`` batch in [0, 1]: a softmax of fixed
    random projections of the per-channel means (deterministic, no training needed)."""
    images = np.asarray(images, dtype=float)
    features = images.mean(axis=(1, 2))  # [n, C]
    weights = np.random.default_rng(0).normal(scale=20.0, size=(features.shape[1], 10))
    logits = (features - 0.5) @ weights
    logits -= logits.max(axis=1, keepdims=True)
    proba = np.exp(logits)
    return proba / proba.sum(axis=1, keepdims=True)
