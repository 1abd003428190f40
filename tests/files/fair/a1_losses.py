"""Correct a1 answers written the way students write them, not the way the reference does.

Every entry of FAIR must earn full marks (tests/test_fairness.py). Each is read by the library
rule as if this module were the notebook, so a helper a graded function calls must be defined here.
"""
import math

import numpy as np
from scipy.special import expit, log_expit, logsumexp, xlogy
from scipy.stats import norm


# ---- gaussian_nll -------------------------------------------------------------------------------

def nll_loop(y_hat, y, sigma=1.0):
    """Plain Python: a loop over every entry, math.log, a Python float."""
    total, m = 0.0, 0
    for a, b in zip(np.ravel(y_hat), np.ravel(y)):
        total += (float(b) - float(a)) ** 2
        m += 1
    return m * (math.log(sigma) + 0.5 * math.log(2 * math.pi)) + total / (2 * sigma ** 2)


def nll_logpdf(y_hat, y, sigma=1.0):
    """The density from scipy.stats, summed: returns np.float64."""
    return -np.sum(norm.logpdf(y, loc=y_hat, scale=sigma))


def nll_float32(y_hat, y, sigma=1.0):
    """Computed in float32 throughout; returns np.float32."""
    d = np.asarray(y, np.float32) - np.asarray(y_hat, np.float32)
    s = np.float32(sigma)
    return np.float32(d.size) * np.log(np.sqrt(np.float32(2 * np.pi)) * s) + np.sum(d * d) / (2 * s * s)


def nll_keepdims(y_hat, y, sigma=1.0):
    """A one-element array (sum with keepdims, then ravel): a scalar-like value."""
    d = (np.asarray(y) - np.asarray(y_hat)).reshape(1, -1)
    constant = np.size(y) * np.log(np.sqrt(2 * np.pi) * sigma)
    return (constant + (d ** 2).sum(axis=1, keepdims=True) / (2 * sigma ** 2)).ravel()


# ---- half_sum_squared_error, mean_squared_error ---------------------------------------------------

def hsse_einsum(y_hat, y):
    d = (np.asarray(y_hat) - np.asarray(y)).ravel()
    return 0.5 * np.einsum("i,i->", d, d)


def mse_einsum(y_hat, y):
    d = np.asarray(y_hat) - np.asarray(y)
    return np.einsum("ij,ij->", d.reshape(len(d), -1), d.reshape(len(d), -1)) / d.size


def hsse_dot(y_hat, y):
    d = (np.asarray(y) - np.asarray(y_hat)).ravel()
    return np.asarray(d @ d / 2)          # a 0-d array


def mse_dot(y_hat, y):
    d = (np.asarray(y) - np.asarray(y_hat)).ravel()
    return np.asarray(d @ d / len(d))


def hsse_float32(y_hat, y):
    d = np.asarray(y_hat, np.float32) - np.asarray(y, np.float32)
    return np.float32(0.5) * np.sum(np.square(d))


def mse_float32(y_hat, y):
    return np.mean(np.square(np.asarray(y_hat, np.float32) - np.asarray(y, np.float32)))


def hsse_loop(y_hat, y):
    return sum(0.5 * (a - b) ** 2 for a, b in zip(np.ravel(y_hat).tolist(), np.ravel(y).tolist()))


def mse_loop(y_hat, y):
    flat = list(zip(np.ravel(y_hat).tolist(), np.ravel(y).tolist()))
    return sum((a - b) ** 2 for a, b in flat) / len(flat)


# ---- sigmoid ----------------------------------------------------------------------------------------

def sigmoid_expit(z):
    return expit(z)


def sigmoid_tanh(z):
    """The identity sigmoid(z) = (1 + tanh(z/2)) / 2: no exp at all (exact to an ulp in absolute terms)."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def sigmoid_masks(z):
    """Two branches written with boolean masks, each exp only on the entries it is safe for."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def sigmoid_float32(z):
    """float32 throughout, with the stable two-branch formula."""
    z = np.asarray(z, dtype=np.float32)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_clip(z):
    """Clipping the argument of exp keeps it finite: the values it changes are below 1e-200."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


# ---- binary_cross_entropy ------------------------------------------------------------------------

def bce_xlogy(p, y):
    return -np.mean(xlogy(y, p) + xlogy(1 - y, 1 - p))


def bce_log1p(p, y):
    """log(1 - p) as log1p(-p), a sum divided by len(p) (p is 1-D)."""
    return -(y @ np.log(p) + (1 - y) @ np.log1p(-p)) / len(p)


def bce_loop(p, y):
    return -sum(b * math.log(a) + (1 - b) * math.log(1 - a) for a, b in zip(p, y)) / len(p)


def bce_float32(p, y):
    p, y = np.asarray(p, np.float32), np.asarray(y, np.float32)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def bce_clipped(p, y):
    """The common 'clip p away from 0 and 1' guard: p is strictly inside (0, 1) here, so it changes nothing."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


# ---- binary_cross_entropy_with_logits --------------------------------------------------------------

def bce_logits_logaddexp(z, y):
    """-[y log s + (1-y) log(1-s)] = y*logaddexp(0, -z) + (1-y)*logaddexp(0, z)."""
    return np.mean(y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z))


def bce_logits_where(z, y):
    """np.where picks the safe branch; the branch it discards overflows at |z| = 1000 (a warning only)."""
    softplus = np.where(z > 0, z + np.log1p(np.exp(-z)), np.log1p(np.exp(z)))
    return float(np.mean(softplus - y * z))


def bce_logits_log_expit(z, y):
    return -np.mean(y * log_expit(z) + (1 - y) * log_expit(-z))


def bce_logits_float32(z, y):
    z, y = np.asarray(z, np.float32), np.asarray(y, np.float32)
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def bce_logits_loop(z, y):
    total = 0.0
    for a, b in zip(z.tolist(), y.tolist()):
        total += max(a, 0.0) - a * b + math.log1p(math.exp(-abs(a)))
    return total / len(z)


# ---- softmax -------------------------------------------------------------------------------------

def softmax(Z):
    """The module's own softmax (softmax_cross_entropy_own_softmax below calls it)."""
    E = np.exp(Z - np.max(Z, axis=1, keepdims=True))
    return E / np.sum(E, axis=1, keepdims=True)


def softmax_logsumexp(Z):
    """exp(Z - logsumexp(Z)): scipy's logsumexp is allowed, only its softmax is not."""
    return np.exp(Z - logsumexp(Z, axis=1, keepdims=True))


def softmax_rows_loop(Z):
    out = np.zeros_like(Z, dtype=float)
    for i, row in enumerate(Z):
        e = np.exp(row - row.max())
        out[i] = e / e.sum()
    return out


def softmax_einsum_none(Z):
    """Shapes by indexing with None, the sum by einsum."""
    E = np.exp(Z - Z.max(axis=1)[:, None])
    return E / np.einsum("ij->i", E)[:, None]


def softmax_float32(Z):
    Z = np.asarray(Z, np.float32)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def softmax_transposed(Z):
    """Column-wise on Z.T, transposed back (the MATLAB habit)."""
    E = np.exp(Z.T - Z.T.max(axis=0))
    return (E / E.sum(axis=0)).T


# ---- softmax_cross_entropy ----------------------------------------------------------------------

def softmax_cross_entropy_own_softmax(Z, y):
    """Calls the student's own softmax for P, and scipy's logsumexp for the log (the issue's example)."""
    P = softmax(Z)
    m = Z.shape[0]
    log_p = Z[np.arange(m), y] - logsumexp(Z, axis=1)
    assert P.shape == Z.shape
    return -np.mean(log_p)


def sce_logsumexp(Z, y):
    return float(np.mean(logsumexp(Z, axis=1) - Z[np.arange(len(y)), y]))


def sce_onehot(Z, y):
    """The lecture's indicator 1{y = j} as a one-hot matrix, summed over classes."""
    Y = np.eye(Z.shape[1])[y]
    c = Z.max(axis=1, keepdims=True)
    logP = Z - c - np.log(np.exp(Z - c).sum(axis=1, keepdims=True))
    return -np.sum(Y * logP) / Z.shape[0]


def sce_loop(Z, y):
    total = 0.0
    for row, label in zip(Z, y):
        c = row.max()
        total += c + math.log(sum(math.exp(v - c) for v in row)) - row[label]
    return total / len(y)


def sce_float32(Z, y):
    Z = np.asarray(Z, np.float32)
    c = Z.max(axis=1)
    return np.mean(c + np.log(np.exp(Z - c[:, None]).sum(axis=1)) - Z[np.arange(len(y)), y])


# ---- softmax_cross_entropy_grad -----------------------------------------------------------------

def sce_grad_onehot(Z, y):
    return (softmax(Z) - np.eye(Z.shape[1])[y]) / Z.shape[0]


def sce_grad_logsumexp(Z, y):
    G = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
    G[np.arange(len(y)), y] -= 1
    return G / len(y)


def sce_grad_loop(Z, y):
    m, k = Z.shape
    G = np.empty((m, k))
    for i in range(m):
        e = np.exp(Z[i] - Z[i].max())
        for j in range(k):
            G[i, j] = (e[j] / e.sum() - (1.0 if j == y[i] else 0.0)) / m
    return G


def sce_grad_float32(Z, y):
    P = softmax_float32(Z)
    P[np.arange(len(y)), y] -= 1
    return P / np.float32(len(y))


FAIR = [
    ("test_gaussian_nll", (nll_loop,)),
    ("test_gaussian_nll", (nll_logpdf,)),
    ("test_gaussian_nll", (nll_float32,)),
    ("test_gaussian_nll", (nll_keepdims,)),
    ("test_mse", (hsse_einsum, mse_einsum)),
    ("test_mse", (hsse_dot, mse_dot)),
    ("test_mse", (hsse_float32, mse_float32)),
    ("test_mse", (hsse_loop, mse_loop)),
    ("test_sigmoid", (sigmoid_expit,)),
    ("test_sigmoid", (sigmoid_tanh,)),
    ("test_sigmoid", (sigmoid_masks,)),
    ("test_sigmoid", (sigmoid_float32,)),
    ("test_sigmoid", (sigmoid_clip,)),
    ("test_binary_cross_entropy", (bce_xlogy,)),
    ("test_binary_cross_entropy", (bce_log1p,)),
    ("test_binary_cross_entropy", (bce_loop,)),
    ("test_binary_cross_entropy", (bce_float32,)),
    ("test_binary_cross_entropy", (bce_clipped,)),
    ("test_bce_with_logits", (bce_logits_logaddexp,)),
    ("test_bce_with_logits", (bce_logits_where,)),
    ("test_bce_with_logits", (bce_logits_log_expit,)),
    ("test_bce_with_logits", (bce_logits_float32,)),
    ("test_bce_with_logits", (bce_logits_loop,)),
    ("test_softmax", (softmax,)),
    ("test_softmax", (softmax_logsumexp,)),
    ("test_softmax", (softmax_rows_loop,)),
    ("test_softmax", (softmax_einsum_none,)),
    ("test_softmax", (softmax_float32,)),
    ("test_softmax", (softmax_transposed,)),
    ("test_softmax_cross_entropy", (softmax_cross_entropy_own_softmax,)),
    ("test_softmax_cross_entropy", (sce_logsumexp,)),
    ("test_softmax_cross_entropy", (sce_onehot,)),
    ("test_softmax_cross_entropy", (sce_loop,)),
    ("test_softmax_cross_entropy", (sce_float32,)),
    ("test_softmax_cross_entropy_grad", (sce_grad_onehot,)),
    ("test_softmax_cross_entropy_grad", (sce_grad_logsumexp,)),
    ("test_softmax_cross_entropy_grad", (sce_grad_loop,)),
    ("test_softmax_cross_entropy_grad", (sce_grad_float32,)),
]
