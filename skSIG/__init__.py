"""skSIG: semi-implicit generative models (SIG and GAN-SI) for scikit-learn."""

from ._density import SemiImplicitDensity
from ._gan import GANSIEstimator

__all__ = ["GANSIEstimator", "SemiImplicitDensity"]
__version__ = "0.1.0"
