"""Table 3 of the paper: inception scores of DCGAN, DCGAN-SI, WGAN-GP and WGAN-GP-SI (section 5.4).

**This script does not reproduce the paper's CIFAR-10 numbers by itself.** CIFAR-10 and the
pre-trained Inception network the paper scores with cannot be downloaded by skSIG (and this
repository's test machines have no network): you provide both.

- ``--data path.npy``: your images, an array of shape ``(N, H, W, C)`` (CIFAR-10: the 50,000
  training images, ``(50000, 32, 32, 3)``) with values in [0, 1] (float) or 0-255 (uint8), or
  flattened rows ``(N, H*W*C)`` together with ``--image-shape H,W,C``.
- ``--classifier module:callable`` (or ``path/to/file.py:callable``): a function that takes a
  float32 batch of shape ``(n, H, W, C)`` in [0, 1] and returns class probabilities of shape
  ``(n, n_classes)``, rows summing to one. For the paper's protocol wrap an ImageNet Inception
  v3 (e.g. ``torchvision.models.inception_v3(weights="DEFAULT")``, resizing to 299x299 and
  normalising inside your function) and return its 1008/1000-class softmax.

The four models share the DCGAN networks of :class:`skSIG.GANSIEstimator`
(``architecture="dcgan"``, ``size`` from ``--size``): ``loss="gan"`` and ``loss="wgan-gp"``,
each with ``lam=0`` (plain) and with the default ``lam`` (``-SI``). Training follows the paper:
mini-batches of 64, Adam with learning rate 2e-4, 100K steps (``--max-iter``); that needs a
GPU (``--device cuda``). Each fitted model draws ``--n-samples`` images (default 50,000), the
classifier scores them, and the inception score is reported as mean ± std over ``--splits``
equal splits (default 10), the usual protocol; your data's own score is the "Real data" column.

    python benchmarks/scripts/table3_cifar.py --data cifar10_train.npy \\
        --classifier my_inception:predict_proba --device cuda
    python benchmarks/scripts/table3_cifar.py --data x.npy --classifier m:f --quick   # smoke run

The test suite runs ``--quick`` on 64 random 8x8x3 images with a toy classifier
(``tests/script_helpers.py``): that checks the plumbing only, not the paper's numbers.
"""

import importlib
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
from _common import command_line, log, markdown_table, parser, setup, write_csv

from skSIG import GANSIEstimator
from skSIG.metrics import inception_score

MODELS = {  # name: (loss, plain GAN?)
    "DCGAN": ("gan", True),
    "DCGAN-SI": ("gan", False),
    "WGAN-GP": ("wgan-gp", True),
    "WGAN-GP-SI": ("wgan-gp", False),
}
PAPER = {"Real data": "11.24 ± .12", "DCGAN": "6.16 ± .14", "DCGAN-SI": "6.85 ± .06",
         "WGAN-GP": "6.43 ± .07", "WGAN-GP-SI": "6.67 ± .11"}
QUICK = {"max_iter": 5, "M": 16, "batch_size": 16, "n_eval_samples": 16}


def load_classifier(spec):
    """``module:callable`` or ``file.py:callable`` -> the callable."""
    module_name, sep, attr = spec.rpartition(":")
    if not sep or not module_name or not attr:
        raise SystemExit(f"--classifier must be 'module:callable' or 'file.py:callable', got {spec!r}")
    if module_name.endswith(".py"):
        path = Path(module_name).resolve()
        if not path.is_file():
            raise SystemExit(f"--classifier: no file {path}")
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        sys.path.insert(0, str(Path.cwd()))
        module = importlib.import_module(module_name)
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise SystemExit(f"--classifier: {module_name} has no callable {attr!r}")
    return fn


def load_images(path, image_shape):
    """Images as float rows ``(N, H*W*C)`` in [0, 1] and their shape ``(H, W, C)``."""
    X = np.load(path, allow_pickle=False)
    if X.ndim == 4:
        shape = tuple(X.shape[1:])
        if image_shape is not None and tuple(image_shape) != shape:
            raise SystemExit(f"--image-shape {image_shape} does not match the data's {shape}")
    elif X.ndim == 2:
        if image_shape is None:
            raise SystemExit("flattened images (N, H*W*C) need --image-shape H,W,C")
        shape = tuple(image_shape)
        if np.prod(shape) != X.shape[1]:
            raise SystemExit(f"--image-shape {shape} has {np.prod(shape)} values, rows have {X.shape[1]}")
    else:
        raise SystemExit(f"--data must hold an (N, H, W, C) or (N, H*W*C) array, got shape {X.shape}")
    if X.dtype == np.uint8:
        X = X.astype(np.float32) / 255.0
    else:
        X = X.astype(np.float32)
        if not np.isfinite(X).all() or X.min() < 0 or X.max() > 1:
            raise SystemExit("float images must have values in [0, 1] (or pass uint8 0-255)")
    return X.reshape(len(X), -1), shape


def classify(fn, rows, shape, batch_size):
    """Class probabilities of ``rows`` (N, H*W*C) from the user's callable, batch by batch."""
    out = []
    for start in range(0, len(rows), batch_size):
        batch = rows[start:start + batch_size].reshape(-1, *shape).astype(np.float32)
        proba = np.asarray(fn(batch), dtype=float)
        if proba.ndim != 2 or len(proba) != len(batch):
            raise SystemExit(f"the classifier returned shape {proba.shape} for {len(batch)} images; "
                             "it must return (n_images, n_classes) probabilities")
        out.append(proba)
    proba = np.concatenate(out)
    if np.any(proba < 0) or not np.allclose(proba.sum(axis=1), 1.0, atol=1e-3):
        raise SystemExit("the classifier must return probabilities (non-negative, rows summing to 1)")
    return proba / proba.sum(axis=1, keepdims=True)


def split_scores(proba, splits):
    """Inception score of each of ``splits`` equal consecutive parts (the usual protocol)."""
    return np.array([inception_score(part) for part in np.array_split(proba, splits)])


def main():
    p = parser(__doc__.split("\n")[0], default_seeds=1)
    p.add_argument("--data", type=Path, required=True,
                   help="(N, H, W, C) images in [0, 1] or uint8 (.npy); e.g. CIFAR-10 train")
    p.add_argument("--classifier", required=True,
                   help="'module:callable' or 'file.py:callable': (n, H, W, C) float32 batch -> "
                        "(n, n_classes) probabilities, e.g. wrapping an Inception network")
    p.add_argument("--image-shape", default=None,
                   help="H,W,C of flattened rows, or a check of an (N, H, W, C) array")
    p.add_argument("--size", choices=["S", "M", "L"], default="M", help="DCGAN size (default M)")
    p.add_argument("--models", default=",".join(MODELS),
                   help=f"comma-separated subset of {','.join(MODELS)} (default all)")
    p.add_argument("--max-iter", type=int, default=100000, help="steps per fit (paper: 100K)")
    p.add_argument("--batch-size", type=int, default=64, help="data rows and generated samples "
                   "per step, N = M (paper: 64)")
    p.add_argument("--learning-rate", type=float, default=2e-4, help="Adam step, both nets (paper)")
    p.add_argument("--n-samples", type=int, default=50000, help="generated images scored per model")
    p.add_argument("--splits", type=int, default=10, help="splits for the IS mean ± std (default 10)")
    p.add_argument("--eval-batch", type=int, default=500, help="images per classifier call")
    p.add_argument("--device", default="auto", help="torch device of the fits (default 'auto')")
    args = setup(p.parse_args())
    image_shape = (tuple(int(v) for v in args.image_shape.split(","))
                   if args.image_shape else None)
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    if not names or set(names) - set(MODELS):
        raise SystemExit(f"--models must be a subset of {list(MODELS)}, got {args.models!r}")
    fn = load_classifier(args.classifier)
    X, shape = load_images(args.data, image_shape)
    n_samples = min(args.n_samples, 256) if args.quick else args.n_samples
    splits = min(args.splits, 2) if args.quick else args.splits
    if splits < 1 or n_samples < splits:
        raise SystemExit("--splits must be at least 1 and at most --n-samples")
    log(f"{len(X)} images of shape {shape} from {args.data}")

    rows, runs = [], []
    real = split_scores(classify(fn, X, shape, args.eval_batch), splits)
    log(f"real data: IS {real.mean():.2f} ± {real.std():.2f}")
    rows.append(["Real data", f"{real.mean():.2f} ± {real.std():.2f}", "–", PAPER["Real data"]])
    runs.append({"model": "Real data", "seed": "", "is_mean": real.mean(), "is_std": real.std(),
                 "fit_seconds": ""})
    for name in names:
        loss, plain = MODELS[name]
        scores, seconds = [], []
        for seed in range(args.seeds):
            kwargs = (dict(QUICK) if args.quick else
                      dict(max_iter=args.max_iter, M=args.batch_size, batch_size=args.batch_size,
                           learning_rate=args.learning_rate,
                           discriminator_learning_rate=args.learning_rate))
            if plain:
                kwargs["lam"] = 0.0
            model = GANSIEstimator(architecture="dcgan", image_shape=shape, size=args.size,
                                   loss=loss, device=args.device, random_state=seed,
                                   verbose=0 if args.quick else 1, **kwargs)
            log(f"seed {seed}: fitting {name} ({kwargs['max_iter']} steps)")
            start = time.perf_counter()
            model.fit(X)
            seconds.append(time.perf_counter() - start)
            samples = np.clip(model.sample(n_samples, random_state=seed), 0.0, 1.0)
            s = split_scores(classify(fn, samples, shape, args.eval_batch), splits)
            log(f"seed {seed}: {name}: IS {s.mean():.2f} ± {s.std():.2f} ({seconds[-1]:.0f} s)")
            scores.append(s)
            runs.append({"model": name, "seed": seed, "is_mean": s.mean(), "is_std": s.std(),
                         "fit_seconds": seconds[-1]})
        allsplits = np.concatenate(scores)  # seeds x splits pooled
        rows.append([name, f"{allsplits.mean():.2f} ± {allsplits.std():.2f}",
                     f"{np.mean(seconds):.0f}", PAPER[name]])

    write_csv(args.out / "table3_cifar.csv", runs)
    text = "\n\n".join([
        "# Table 3: inception scores (CIFAR-10 protocol on user-provided data)",
        f"Data: `{args.data.name}`, {len(X)} images {'×'.join(map(str, shape))}; classifier "
        f"`{args.classifier}` (user-provided). DCGAN networks of size {args.size}; "
        f"{n_samples} samples per model, inception score mean ± std over {splits} splits"
        + (f" pooled over {args.seeds} seeds" if args.seeds > 1 else "") + ". The paper's "
        "column is CIFAR-10 scored with ImageNet Inception: comparable only when you ran this "
        "with those.",
        markdown_table(["Model", "IS", "Fit time (s)", "Paper IS (CIFAR-10)"], rows),
        *(["**Quick smoke run: too few steps for the numbers to mean anything.**"]
          if args.quick else []),
        f"Command: `{command_line()}`",
    ])
    (args.out / "table3_cifar.md").write_text(text + "\n")
    log(f"wrote {args.out / 'table3_cifar.md'} and table3_cifar.csv")
    print(text)


if __name__ == "__main__":
    main()
