import matplotlib

matplotlib.use("Agg")  # tests draw figures without a screen

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1337)
