"""Two-dimensional test functions for watching optimizers move.

Each function takes a point as a dict {"xy": array of shape (2,)} (the course's
optimizer interface works on dicts of parameters) and provides its value and
gradient. `run` drives any optimizer step on one of them and returns the path.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class TestFunction:
    name: str
    f: Callable            # f(x, y) on arrays (for contour plots)
    grad: Callable         # grad(x, y) -> (df/dx, df/dy)
    start: tuple
    minimum: tuple | None  # None where the function has no minimum (the saddle)
    xlim: tuple
    ylim: tuple

    def value(self, params):
        x, y = params["xy"]
        return float(self.f(x, y))

    def grad_fn(self, params):
        """Gradient in the optimizers' interface: {"xy": array([df/dx, df/dy])}."""
        x, y = params["xy"]
        return {"xy": np.array(self.grad(x, y), dtype=np.float64)}


#: f = (x^2 + 20 y^2) / 2: condition number 20, a long narrow valley.
quadratic = TestFunction(
    "ill-conditioned quadratic", lambda x, y: 0.5 * (x ** 2 + 20 * y ** 2),
    lambda x, y: (x, 20 * y), start=(-4.0, 1.0), minimum=(0.0, 0.0),
    xlim=(-4.5, 4.5), ylim=(-1.5, 1.5))

#: Rosenbrock's banana, f = (1 - x)^2 + 100 (y - x^2)^2, minimum at (1, 1).
rosenbrock = TestFunction(
    "Rosenbrock", lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
    lambda x, y: (-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)),
    start=(-1.5, 2.0), minimum=(1.0, 1.0), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0))

#: A saddle, f = x^2 - y^2 (a stationary point at 0 that is not a minimum).
saddle = TestFunction(
    "saddle", lambda x, y: x ** 2 - y ** 2, lambda x, y: (2 * x, -2 * y),
    start=(-2.0, 1e-3), minimum=None, xlim=(-2.5, 2.5), ylim=(-2.5, 2.5))

FUNCTIONS = {"quadratic": quadratic, "rosenbrock": rosenbrock, "saddle": saddle}


def run(step, function, num_steps=100, start=None, **hyper):
    """Apply `step` num_steps times from `start` (default function.start).

    step: an optimizer, step(params, grad_fn, state, **hyper) -> (params, state).
    Returns the path, an array of shape (num_steps + 1, 2), starting point first.
    """
    params = {"xy": np.array(start if start is not None else function.start, dtype=np.float64)}
    state, path = None, [params["xy"].copy()]
    for _ in range(num_steps):
        params, state = step(params, function.grad_fn, state, **hyper)
        path.append(np.array(params["xy"], dtype=np.float64))
    return np.array(path)
