"""
=========================================
Stacked digits with a DCGAN-SI
=========================================

The offline counterpart of the paper's Stacked MNIST experiment (section 5.3): three of
scikit-learn's 8x8 digits stacked as the red, green and blue channels of one image, 1000 modes
(one per digit triple). :class:`~skSIG.GANSIEstimator` with ``architecture="dcgan"`` trains the
convolutional generator and discriminator of the paper's Appendix C on the images, given as
flattened rows, with the SIG bound as a regulariser.

Modes are counted with :class:`~skSIG.metrics.StackedDigitsClassifier`, a digit classifier
applied to each channel, and :func:`~skSIG.metrics.image_metrics` (the metrics of Table 2).

This example trains the small network (``size="S"``) for 1,000 steps of 64 images, which
takes well under a minute on two cores but leaves the digits rough. The defaults
(``size="M"``, 7,500 steps of 4096 generated and 512 real images) train well over a hundred
times longer, for sharper digits and many more of the 1000 modes.
"""

# %%
# Data and the evaluation classifier
# ----------------------------------
import matplotlib.pyplot as plt

from skSIG import GANSIEstimator
from skSIG.datasets import make_stacked_digits
from skSIG.metrics import StackedDigitsClassifier, image_metrics

X, y = make_stacked_digits(5000, random_state=0)
classifier = StackedDigitsClassifier().fit(X, y)

# %%
# Train a DCGAN-SI
# ----------------
gan = GANSIEstimator(
    architecture="dcgan",
    image_shape=(8, 8, 3),
    size="S",
    M=64,
    batch_size=64,
    max_iter=1000,
    learning_rate=2e-3,
    discriminator_learning_rate=2e-3,
    random_state=0,
)
gan.fit(X)
samples = gan.sample(5000)

# %%
# Real and generated images
# -------------------------
fig, axes = plt.subplots(2, 12, figsize=(10, 2))
for row, images, label in [(0, X, "data"), (1, samples, "DCGAN-SI")]:
    for ax, image in zip(axes[row], images[:12]):
        ax.imshow(image.reshape(8, 8, 3).clip(0, 1), interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].set_ylabel(label, rotation=0, ha="right", va="center")
fig.tight_layout()

# %%
# Quality and diversity
# ---------------------
# ``modes`` counts the digit triples that are the classifier's first choice for at least one
# of the 5000 samples; ``kl`` is the KL divergence of that histogram from the uniform one.
for name, images in [("data", X), ("DCGAN-SI", samples)]:
    result = image_metrics(classifier.predict_proba(images))
    print(
        f"{name:>9}: {result['modes']:4d} modes, high quality {result['high_quality']:.2f}, "
        f"KL {result['kl']:.2f}, inception score {result['inception_score']:.1f}"
    )
