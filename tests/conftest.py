import numpy as np
import pytest


@pytest.fixture(scope="session")
def bimodal():
    """Two well separated 2-D clusters."""
    rng = np.random.default_rng(0)
    return np.r_[rng.normal(-2, 0.3, (150, 2)), rng.normal(2, 0.3, (150, 2))]
