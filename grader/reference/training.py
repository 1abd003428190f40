"""Training bound to the reference optimizers.

The loops themselves live in the student helper `dlcourse.train` (they are not
graded, and students run their own code through them); this module binds them
to `grader.reference.optimizers` by name, for benchmarks and checks.
"""
from dlcourse.train import lbfgs  # noqa: F401  (re-exported: full-batch L-BFGS)
from dlcourse.train import minibatch

from .optimizers import OPTIMIZERS


def train_minibatch(fun, params, X, y, optimizer="adam", **kwargs):
    """`dlcourse.train.minibatch` with a reference optimizer chosen by name (see OPTIMIZERS)."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {sorted(OPTIMIZERS)}")
    return minibatch(fun, params, X, y, OPTIMIZERS[optimizer], **kwargs)
