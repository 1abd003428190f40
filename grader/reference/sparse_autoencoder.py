r"""The sparse autoencoder (lecture part 4, Sparse AutoEncoder; UFLDL's sparseAutoencoderCost).

Layout (samples in rows, the transpose of UFLDL's MATLAB layout)::

    X      (m, n)   inputs in [0, 1]
    W1     (n, h)   b1 (h,)     H     = sigmoid(X W1 + b1)   hidden code, (m, h)
    W2     (h, n)   b2 (n,)     X_hat = sigmoid(H W2 + b2)   reconstruction, (m, n)

Cost (m samples, rho the target activation, rho_hat_j = mean_i H_ij)::

    J = 1/(2m) sum_i ||x_hat_i - x_i||^2                 reconstruction
      + lam/2 (||W1||^2 + ||W2||^2)                      weight decay, biases excluded
      + beta sum_j KL(rho || rho_hat_j)                  sparsity

The slides write the weight decay as lam * sum W^2 (no 1/2) and the
reconstruction as a plain sum; UFLDL, whose recipe and constants (lam = 3e-3,
beta = 3, rho = 0.1) the course uses, has the 1/(2m) and lam/2 written here.
"""
import numpy as np
from scipy.special import expit

from ._inputs import as_float_array

PARAM_KEYS = ("W1", "b1", "W2", "b2")


def initialize(n_visible, n_hidden, seed=0):
    """UFLDL's initialisation: W ~ U(-r, r), r = sqrt(6 / (n_visible + n_hidden + 1)); biases 0.

    Returns a dict with W1 (n_visible, n_hidden), b1 (n_hidden,), W2 (n_hidden, n_visible), b2 (n_visible,).
    """
    rng = np.random.default_rng(seed)
    r = np.sqrt(6.0 / (n_visible + n_hidden + 1))
    return {"W1": rng.uniform(-r, r, (n_visible, n_hidden)), "b1": np.zeros(n_hidden),
            "W2": rng.uniform(-r, r, (n_hidden, n_visible)), "b2": np.zeros(n_visible)}


def kl_divergence(rho, rho_hat):
    r"""KL(rho || rho_hat_j) between Bernoulli(rho) and Bernoulli(rho_hat_j), elementwise.

    rho*log(rho/rho_hat) + (1-rho)*log((1-rho)/(1-rho_hat)); 0 where rho_hat = rho,
    growing without bound as rho_hat -> 0 or 1.
    """
    rho_hat = np.asarray(rho_hat)
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def _check(params, X, rho):
    missing = [k for k in PARAM_KEYS if k not in params]
    if missing:
        raise KeyError(f"params needs {PARAM_KEYS}; missing {missing}")
    p = {k: as_float_array(params[k], k) for k in PARAM_KEYS}
    X = as_float_array(X, "X", ndim=2)
    n, h = p["W1"].shape if p["W1"].ndim == 2 else (None, None)
    if (p["W1"].shape != (X.shape[1], h) or p["b1"].shape != (h,)
            or p["W2"].shape != (h, n) or p["b2"].shape != (n,)):
        raise ValueError(f"parameter shapes do not fit X {X.shape}: "
                         + ", ".join(f"{k} {p[k].shape}" for k in PARAM_KEYS))
    if not 0 < rho < 1:
        raise ValueError(f"rho must be in (0, 1); got {rho}")
    return p, X


def forward(params, X):
    """Return (H, X_hat): hidden activations (m, h) and reconstruction (m, n)."""
    p, X = _check(params, X, 0.5)
    H = expit(X @ p["W1"] + p["b1"])
    return H, expit(H @ p["W2"] + p["b2"])


def encode(params, X):
    """Hidden features H = sigmoid(X W1 + b1), shape (m, h)."""
    return forward(params, X)[0]


def cost_and_grad(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """Cost J (float) and its gradient (dict like params) for the sparse autoencoder.

    params: dict W1, b1, W2, b2 (see module docstring); X: (m, n) data in rows.
    lam: weight decay; beta: weight of the sparsity penalty; rho: target mean activation.
    """
    p, X = _check(params, X, rho)
    return _cost_and_grad(p, X, lam, beta, rho)


def _cost_and_grad(p, X, lam, beta, rho):
    """`cost_and_grad` without validation, in X's dtype (float32 or float64): the training hot path."""
    m = X.shape[0]
    W1, b1, W2, b2 = (p[k].astype(X.dtype, copy=False) for k in PARAM_KEYS)
    H = expit(X @ W1 + b1)
    X_hat = expit(H @ W2 + b2)
    rho_hat = H.mean(axis=0)
    diff = X_hat - X
    cost = (0.5 / m * np.sum(diff * diff, dtype=np.float64)
            + 0.5 * lam * (np.sum(W1 * W1, dtype=np.float64) + np.sum(W2 * W2, dtype=np.float64))
            + beta * float(np.sum(kl_divergence(rho, rho_hat))))
    # Backpropagation. delta3 = dJ/d(pre-activation of the output), already divided by m.
    delta3 = diff * X_hat * (1 - X_hat) / m
    # The sparsity term depends on every sample through rho_hat = mean_i H_ij,
    # so each sample gets d(beta*KL)/d(rho_hat_j) * 1/m added to its hidden error.
    sparse = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)) / m
    delta2 = (delta3 @ W2.T + sparse) * H * (1 - H)
    grads = {"W1": X.T @ delta2 + lam * W1, "b1": delta2.sum(axis=0),
             "W2": H.T @ delta3 + lam * W2, "b2": delta3.sum(axis=0)}
    return float(cost), grads
