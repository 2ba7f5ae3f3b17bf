"""skSIG: semi-implicit generative models (SIG and GAN-SI) for scikit-learn."""

from ._density import SemiImplicitDensity

__all__ = ["SemiImplicitDensity"]
__version__ = "0.1.0"
