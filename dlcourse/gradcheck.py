"""Gradient checking by central differences, as UFLDL's checkNumericalGradient teaches.

A hand-written gradient is the easiest place to make a silent mistake: the
network still trains, just worse. Compare it with

    dJ/dtheta_i ~ (J(theta + h e_i) - J(theta - h e_i)) / (2 h)

whose error is O(h^2), and look at the relative error
||numerical - analytic|| / ||numerical + analytic||. With h = 1e-4 in float64 a
correct gradient gives about 1e-9 or less; 1e-5 or more means a bug.
"""
import numpy as np

from .params import flatten, flatten_like, unflatten


def numerical_gradient(f, x, h=1e-4):
    """Central-difference gradient of a scalar function.

    f: callable taking an array shaped like x and returning a float.
    x: float array (any shape); it is not modified.
    Returns an array of x's shape.
    """
    x = np.array(x, dtype=np.float64)        # private copy we may perturb
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = float(f(x))
        flat[i] = old - h
        fm = float(f(x))
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * h)
    return grad


def relative_error(a, b):
    """||a - b|| / ||a + b|| (UFLDL's measure); 0 when both are zero."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    den = np.linalg.norm(a + b)
    return 0.0 if den == 0 else float(np.linalg.norm(a - b) / den)


def check_gradient(f_and_grad, params, h=1e-4):
    """Compare an analytic gradient with central differences.

    f_and_grad: callable(params) -> (cost, grads); params and grads are dicts of
    arrays with the same keys (or both plain arrays).
    Returns (relative_error, numerical, analytic), the last two as dicts (or arrays).
    """
    if isinstance(params, dict):
        theta, spec = flatten(params)
        numeric = numerical_gradient(lambda t: f_and_grad(unflatten(t, spec))[0], theta, h)
        analytic = flatten_like(f_and_grad(params)[1], spec)
        return relative_error(numeric, analytic), unflatten(numeric, spec), unflatten(analytic, spec)
    numeric = numerical_gradient(lambda t: f_and_grad(t)[0], params, h)
    analytic = np.asarray(f_and_grad(params)[1], dtype=np.float64)
    return relative_error(numeric, analytic), numeric, analytic
