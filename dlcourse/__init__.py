"""Helpers for the Deep Learning course: data, gradient checking, training loops, plots.

Nothing here is graded: this package is what UFLDL's starter code was to its
exercises (loadMNISTImages, checkNumericalGradient, minFunc, display_network).

- `dlcourse.data`: the embedded MNIST digits and full MNIST from IDX files.
- `dlcourse.gradcheck`: central-difference gradients and the relative error.
- `dlcourse.params`: pack a dict of arrays into one vector and back.
- `dlcourse.train`: L-BFGS (SciPy) and mini-batch loops with progress bars.
- `dlcourse.functions`: 2-D test functions for optimizers (quadratic, Rosenbrock, saddle).
- `dlcourse.plotting`: image grids, loss curves, optimizer trajectories.
"""
__version__ = "0.1.0"
