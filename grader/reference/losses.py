r"""Losses derived from maximum likelihood (lecture part 1, 关于 Loss Function 的补充).

Shared interface: ``loss(pred, y) -> float`` and ``loss_grad(pred, y) -> array``
with the gradient taken with respect to ``pred`` (the network output or logits)
and the same shape as ``pred``. Samples are in rows; m is the number of samples.

Label convention: the lecture numbers classes 1..k; here, as in NumPy, they are
0..k-1.
"""
import numpy as np
from scipy.special import logsumexp, xlogy

from ._inputs import as_float_array, class_labels, same_shape


def gaussian_nll(y_hat, y, sigma=1.0):
    r"""Negative log-likelihood of targets under y = y_hat + eps, eps ~ N(0, sigma^2).

    .. math:: -\log L = m \log(\sqrt{2\pi}\,\sigma) + \frac{1}{2\sigma^2}\sum_i (y_i - \hat y_i)^2

    y_hat, y: arrays of the same shape; every entry is one observation (m = y.size).
    sigma: the noise standard deviation, > 0.
    Returns the total (summed) negative log-likelihood, a float.
    """
    y_hat = as_float_array(y_hat, "y_hat")
    y = as_float_array(y, "y")
    same_shape(y_hat, y, "y_hat", "y")
    if not np.isfinite(sigma) or sigma <= 0:
        raise ValueError(f"sigma must be a positive number; got {sigma}")
    m = y.size
    return float(m * np.log(np.sqrt(2 * np.pi) * sigma)
                 + np.sum((y - y_hat) ** 2) / (2 * sigma ** 2))


def half_sum_squared_error(y_hat, y):
    r"""The lecture's MSE cost: J = 1/2 * sum_i (y_hat_i - y_i)^2 (summed, not averaged).

    y_hat, y: arrays of the same shape. Returns a float.
    """
    y_hat = as_float_array(y_hat, "y_hat")
    y = as_float_array(y, "y")
    same_shape(y_hat, y, "y_hat", "y")
    return float(0.5 * np.sum((y_hat - y) ** 2))


def half_sum_squared_error_grad(y_hat, y):
    """Gradient of `half_sum_squared_error` with respect to y_hat: y_hat - y."""
    y_hat = as_float_array(y_hat, "y_hat")
    y = as_float_array(y, "y")
    same_shape(y_hat, y, "y_hat", "y")
    return y_hat - y


def mean_squared_error(y_hat, y):
    r"""Mean squared error over all entries: (1/N) * sum (y_hat - y)^2, N = y.size.

    This is the convention of most libraries; it differs from the lecture's
    `half_sum_squared_error` by the factor 2/N, which moves no minimiser.
    """
    y_hat = as_float_array(y_hat, "y_hat")
    y = as_float_array(y, "y")
    same_shape(y_hat, y, "y_hat", "y")
    return float(np.mean((y_hat - y) ** 2))


def mean_squared_error_grad(y_hat, y):
    """Gradient of `mean_squared_error` with respect to y_hat: 2 (y_hat - y) / N."""
    y_hat = as_float_array(y_hat, "y_hat")
    y = as_float_array(y, "y")
    same_shape(y_hat, y, "y_hat", "y")
    return 2.0 * (y_hat - y) / y.size


def sigmoid(z):
    r"""Logistic function 1 / (1 + exp(-z)), elementwise, without overflow.

    For z < 0 it evaluates exp(z) / (1 + exp(z)) so that exp never sees a large
    positive argument. Returns an array of z's shape, values in [0, 1].
    """
    z = as_float_array(z, "z")
    e = np.exp(-np.abs(z))          # in (0, 1]: cannot overflow
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _binary_targets(y, shape):
    y = as_float_array(y, "y")
    if y.shape != shape:
        raise ValueError(f"y must have the prediction's shape {shape}; got {y.shape}")
    if np.any((y < 0) | (y > 1)):
        raise ValueError("y must hold targets in [0, 1] (0/1 labels, or soft labels)")
    return y


def binary_cross_entropy(p, y):
    r"""Mean Bernoulli negative log-likelihood from probabilities.

    .. math:: J = -\frac{1}{m}\sum_i \big[y_i \log p_i + (1-y_i)\log(1-p_i)\big]

    p: predicted probabilities P(y=1|x), shape (m,) (or any shape; m = p.size), in [0, 1].
    y: targets of the same shape, in [0, 1].
    Returns a float; +inf when a sure prediction is wrong (p=0 with y=1), which is
    the true value. 0*log(0) counts as 0.
    """
    p = as_float_array(p, "p")
    y = _binary_targets(y, p.shape)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p must hold probabilities in [0, 1]; for raw scores use "
                         "binary_cross_entropy_with_logits")
    with np.errstate(divide="ignore"):
        ll = xlogy(y, p) + xlogy(1.0 - y, 1.0 - p)
    return float(-np.mean(ll))


def binary_cross_entropy_grad(p, y):
    r"""Gradient of `binary_cross_entropy` with respect to p: (p - y) / (p (1 - p)) / m."""
    p = as_float_array(p, "p")
    y = _binary_targets(y, p.shape)
    return (p - y) / (p * (1.0 - p)) / p.size


def binary_cross_entropy_with_logits(z, y):
    r"""`binary_cross_entropy` of sigmoid(z), computed stably from the logits z.

    Uses -[y log s + (1-y) log(1-s)] = max(z, 0) - y z + log(1 + exp(-|z|)),
    which is exact algebra (no clipping) and finite for any finite z.
    z: logits, shape (m,) (or any shape); y: targets of the same shape in [0, 1].
    Returns the mean over the m = z.size samples, a float.
    """
    z = as_float_array(z, "z")
    y = _binary_targets(y, z.shape)
    return float(np.mean(np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))))


def binary_cross_entropy_with_logits_grad(z, y):
    """Gradient of `binary_cross_entropy_with_logits` with respect to z: (sigmoid(z) - y) / m."""
    z = as_float_array(z, "z")
    y = _binary_targets(y, z.shape)
    return (sigmoid(z) - y) / z.size


def softmax(Z):
    r"""Row-wise softmax, P_ij = exp(Z_ij) / sum_l exp(Z_il), stable for large logits.

    Subtracting each row's maximum first leaves P unchanged and keeps exp <= 1.
    Z: logits, shape (m, k). Returns P of shape (m, k); each row sums to 1.
    """
    Z = as_float_array(Z, "Z", ndim=2)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def log_softmax(Z):
    """Row-wise log of `softmax`, Z - logsumexp(Z), accurate where softmax underflows to 0."""
    Z = as_float_array(Z, "Z", ndim=2)
    return Z - logsumexp(Z, axis=1, keepdims=True)


def one_hot(y, num_classes):
    """Y of shape (m, k) with Y[i, y_i] = 1: the lecture's indicator 1{y^(i) = j}."""
    y = np.asarray(y)
    y = class_labels(y, num_classes, y.shape[0] if y.ndim == 1 else -1)
    Y = np.zeros((y.shape[0], num_classes))
    Y[np.arange(y.shape[0]), y] = 1.0
    return Y


def softmax_cross_entropy(Z, y):
    r"""Multinomial negative log-likelihood, averaged over samples (the lecture's J(theta)).

    .. math:: J = -\frac{1}{m}\sum_{i=1}^m \sum_{j=1}^k 1\{y^{(i)}=j\}\log P_{ij},
              \quad P = \mathrm{softmax}(Z)

    Z: logits, shape (m, k); y: integer labels in 0..k-1, shape (m,).
    Returns a float. Averaged over the m samples, summed over the k classes.
    """
    Z = as_float_array(Z, "Z", ndim=2)
    y = class_labels(y, Z.shape[1], Z.shape[0])
    return float(-np.mean(log_softmax(Z)[np.arange(Z.shape[0]), y]))


def softmax_cross_entropy_grad(Z, y):
    r"""Gradient of `softmax_cross_entropy` with respect to Z: (P - Y) / m, shape (m, k)."""
    Z = as_float_array(Z, "Z", ndim=2)
    y = class_labels(y, Z.shape[1], Z.shape[0])
    G = softmax(Z)
    G[np.arange(Z.shape[0]), y] -= 1.0
    return G / Z.shape[0]
