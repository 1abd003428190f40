"""New correct a1 variants (not in tests/files/fair/a1_losses.py). Each must earn full marks."""
import math

import numpy as np
from scipy.special import log_expit, logsumexp


# ---- gaussian_nll ----
def nll_half_log_var(y_hat, y, sigma=1.0):
    """m/2 * log(2 pi sigma^2): the textbook form of the constant."""
    r = np.asarray(y) - np.asarray(y_hat)
    m = r.size
    return 0.5 * m * np.log(2 * np.pi * sigma ** 2) + np.sum(r ** 2) / (2 * sigma ** 2)


def nll_via_mean(y_hat, y, sigma=1.0):
    """m * (constant + mean squared residual / (2 sigma^2)), with math.log on a float sigma."""
    r = (np.asarray(y, float) - np.asarray(y_hat, float)).ravel()
    return len(r) * (math.log(math.sqrt(2 * math.pi) * sigma) + np.mean(r * r) / (2 * sigma * sigma))


def nll_per_obs_sum(y_hat, y, sigma=1.0):
    """Sum of per-observation -log N(y; y_hat, sigma) written out (log-pdf, then sum)."""
    logpdf = -np.log(sigma) - 0.5 * np.log(2 * np.pi) - (y - y_hat) ** 2 / (2 * sigma ** 2)
    return -logpdf.sum()


# ---- half_sum_squared_error / mean_squared_error ----
def hsse_norm(y_hat, y):
    """Frobenius norm squared (works for 1-D and 2-D)."""
    return 0.5 * np.linalg.norm(np.asarray(y_hat) - np.asarray(y)) ** 2


def mse_from_own_hsse(y_hat, y):
    """The student's own helper: mean = 2 * J / N."""
    return 2 * hsse_norm(y_hat, y) / np.size(y)


def hsse_vdot(y_hat, y):
    d = np.subtract(y_hat, y)
    return np.vdot(d, d) / 2


def mse_average(y_hat, y):
    return np.average(np.square(np.subtract(y_hat, y)))


# ---- sigmoid ----
def sigmoid_logaddexp(z):
    """exp(-softplus(-z)): log-space, exp only sees arguments <= 0."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))


def sigmoid_piecewise(z):
    z = np.asarray(z, dtype=float)
    return np.piecewise(z, [z >= 0, z < 0],
                        [lambda t: 1 / (1 + np.exp(-t)), lambda t: np.exp(t) / (1 + np.exp(t))])


def sigmoid_exp_log_expit(z):
    return np.exp(log_expit(z))


def sigmoid_abs(z):
    """One exp of -|z|, then flip for the negative entries."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    s = 1 / (1 + e)
    return np.where(z >= 0, s, 1 - s)


# ---- binary_cross_entropy ----
def bce_product_form(p, y):
    """log of the Bernoulli likelihood p^y (1-p)^(1-y), then the mean."""
    return -np.mean(np.log(p ** y * (1 - p) ** (1 - y)))


def bce_dot(p, y):
    p, y = np.asarray(p, float), np.asarray(y, float)
    return -(np.dot(y, np.log(p)) + np.dot(1 - y, np.log(1 - p))) / p.shape[0]


def bce_sum_terms(p, y):
    m = len(p)
    return float(-(np.sum(y * np.log(p)) + np.sum((1 - y) * np.log(1 - p))) / m)


# ---- binary_cross_entropy_with_logits ----
def bcel_softplus_minus_yz(z, y):
    """softplus(z) - y z, softplus via logaddexp."""
    return np.mean(np.logaddexp(0.0, z) - y * z)


def bcel_log_not_log1p(z, y):
    """The lecture's identity with log(1 + ...) instead of log1p."""
    return np.mean(np.maximum(z, 0) - y * z + np.log(1 + np.exp(-np.abs(z))))


def bcel_softplus_float32(z, y):
    z, y = np.asarray(z, np.float32), np.asarray(y, np.float32)
    return np.mean(np.logaddexp(np.float32(0), z) - y * z)


def bcel_two_log_expit(z, y):
    """-[y log s(z) + (1-y) log s(-z)] via own helper built on log_expit; returns 1-element array."""
    ll = y * log_expit(z) + (1 - y) * log_expit(-z)
    return np.array([-ll.mean()])


# ---- softmax ----
def softmax_logaddexp_reduce(Z):
    return np.exp(Z - np.logaddexp.reduce(Z, axis=1, keepdims=True))


def softmax_apply_along_axis(Z):
    def row(r):
        e = np.exp(r - np.max(r))
        return e / np.sum(e)
    return np.apply_along_axis(row, 1, Z)


def softmax_negative_axis_inplace(Z):
    """Shifts Z in place (the docstring does not protect Z) and uses axis=-1."""
    Z -= Z.max(axis=-1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=-1, keepdims=True)
    return Z


# ---- softmax_cross_entropy ----
def sce_take_along_axis(Z, y):
    lse = logsumexp(Z, axis=1, keepdims=True)
    return -np.mean(np.take_along_axis(Z - lse, y[:, None], axis=1))


def sce_logaddexp_choose(Z, y):
    return np.mean(np.logaddexp.reduce(Z, axis=1) - np.choose(y, Z.T))


def sce_own_log_softmax(Z, y):
    """A student's own log_softmax helper (max shift, then log of the sum)."""
    return -np.mean(log_softmax_own(Z)[np.arange(Z.shape[0]), y])


def log_softmax_own(Z):
    s = Z - Z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


# ---- softmax_cross_entropy_grad ----
def sce_grad_bool_onehot(Z, y):
    P = np.exp(log_softmax_own(Z))
    Y = (np.arange(Z.shape[1]) == np.asarray(y)[:, None])
    return (P - Y) / Z.shape[0]


def sce_grad_zeros_onehot(Z, y):
    m = Z.shape[0]
    Y = np.zeros_like(Z)
    Y[np.arange(m), y] = 1.0
    return (softmax_apply_along_axis(Z) - Y) / m


def sce_grad_put_along_axis(Z, y):
    G = softmax_logaddexp_reduce(Z)
    np.put_along_axis(G, y[:, None], np.take_along_axis(G, y[:, None], axis=1) - 1, axis=1)
    return G / len(Z)


FAIR = [
    ("test_gaussian_nll", (nll_half_log_var,)),
    ("test_gaussian_nll", (nll_via_mean,)),
    ("test_gaussian_nll", (nll_per_obs_sum,)),
    ("test_mse", (hsse_norm, mse_from_own_hsse)),
    ("test_mse", (hsse_vdot, mse_average)),
    ("test_sigmoid", (sigmoid_logaddexp,)),
    ("test_sigmoid", (sigmoid_piecewise,)),
    ("test_sigmoid", (sigmoid_exp_log_expit,)),
    ("test_sigmoid", (sigmoid_abs,)),
    ("test_binary_cross_entropy", (bce_product_form,)),
    ("test_binary_cross_entropy", (bce_dot,)),
    ("test_binary_cross_entropy", (bce_sum_terms,)),
    ("test_bce_with_logits", (bcel_softplus_minus_yz,)),
    ("test_bce_with_logits", (bcel_log_not_log1p,)),
    ("test_bce_with_logits", (bcel_softplus_float32,)),
    ("test_bce_with_logits", (bcel_two_log_expit,)),
    ("test_softmax", (softmax_logaddexp_reduce,)),
    ("test_softmax", (softmax_apply_along_axis,)),
    ("test_softmax", (softmax_negative_axis_inplace,)),
    ("test_softmax_cross_entropy", (sce_take_along_axis,)),
    ("test_softmax_cross_entropy", (sce_logaddexp_choose,)),
    ("test_softmax_cross_entropy", (sce_own_log_softmax,)),
    ("test_softmax_cross_entropy_grad", (sce_grad_bool_onehot,)),
    ("test_softmax_cross_entropy_grad", (sce_grad_zeros_onehot,)),
    ("test_softmax_cross_entropy_grad", (sce_grad_put_along_axis,)),
]
