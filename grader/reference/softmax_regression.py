r"""Softmax regression (the lecture's multinomial model with f = exp(theta_j^T x)).

    P = softmax(X W + b),   X (m, n), W (n, k), b (k,)
    J = -(1/m) sum_i log P[i, y_i] + lam/2 ||W||^2        (bias not decayed)
    dJ/dW = X^T (P - Y) / m + lam W,   dJ/db = sum_i (P - Y)_i / m
"""
import numpy as np
from scipy.special import logsumexp

from ._inputs import as_float_array, class_labels


def initialize(n_features, num_classes, seed=0):
    """W ~ 0.005 * N(0, 1) as in UFLDL's softmax exercise, b = 0."""
    rng = np.random.default_rng(seed)
    return {"W": 0.005 * rng.standard_normal((n_features, num_classes)), "b": np.zeros(num_classes)}


def _check(params, X, y=None):
    W = as_float_array(params["W"], "W", ndim=2)
    b = as_float_array(params["b"], "b", ndim=1)
    X = as_float_array(X, "X", ndim=2)
    if W.shape[0] != X.shape[1] or b.shape != (W.shape[1],):
        raise ValueError(f"W {W.shape} and b {b.shape} do not fit X {X.shape}")
    if y is not None:
        y = class_labels(y, W.shape[1], X.shape[0])
    return {"W": W, "b": b}, X, y


def cost_and_grad(params, X, y, lam=1e-4):
    """Cost J (float) and gradient dict {"W", "b"}; y integer labels 0..k-1, shape (m,)."""
    p, X, y = _check(params, X, y)
    return _cost_and_grad(p, X, y, lam)


def _cost_and_grad(p, X, y, lam):
    m = X.shape[0]
    W, b = p["W"].astype(X.dtype, copy=False), p["b"].astype(X.dtype, copy=False)
    Z = X @ W + b
    logP = Z - logsumexp(Z, axis=1, keepdims=True)
    rows = np.arange(m)
    cost = -np.mean(logP[rows, y], dtype=np.float64) + 0.5 * lam * np.sum(W * W, dtype=np.float64)
    G = np.exp(logP)
    G[rows, y] -= 1
    G /= m
    return float(cost), {"W": X.T @ G + lam * W, "b": G.sum(axis=0)}


def predict(params, X):
    """Most probable class per sample, shape (m,)."""
    p, X, _ = _check(params, X)
    return np.argmax(X @ p["W"] + p["b"], axis=1)
