import matplotlib

matplotlib.use("Agg")  # tests draw figures without a screen

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1337)


# The corpus of wrong submissions is data for the nbgrader tests, not notebooks to run.
collect_ignore_glob = ["files/*"]
