"""New correct a4 variants (not in tests/files/fair/a4_sparse_autoencoder.py)."""
import numpy as np
from scipy.special import expit, kl_div


# ---- kl_divergence ----
def kl_scipy_kl_div(rho, rho_hat):
    """scipy's kl_div(x, y) = x log(x/y) - x + y; the -x + y parts cancel over the two terms."""
    return kl_div(rho, rho_hat) + kl_div(1 - rho, 1 - rho_hat)


def kl_cross_minus_entropy(rho, rho_hat):
    """Cross-entropy minus entropy, with log1p."""
    q = np.asarray(rho_hat, dtype=float)
    cross = -(rho * np.log(q) + (1 - rho) * np.log1p(-q))
    ent = -(rho * np.log(rho) + (1 - rho) * np.log1p(-rho))
    return cross - ent


def kl_log_of_ratio_product(rho, rho_hat):
    """log of (rho/q)^rho ((1-rho)/(1-q))^(1-rho)."""
    q = np.asarray(rho_hat, dtype=float)
    return np.log((rho / q) ** rho * ((1 - rho) / (1 - q)) ** (1 - rho))


# ---- sparse_autoencoder_cost ----
def sigmoid(z):
    return 0.5 * (np.tanh(0.5 * z) + 1)


def kl_helper(rho, rho_hat):
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def sae_columns_ufldl(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """UFLDL's MATLAB layout: samples as COLUMNS internally (W1.T is h x n), grads transposed back."""
    W1, W2 = params["W1"].T, params["W2"].T       # (h, n), (n, h)
    b1, b2 = params["b1"][:, None], params["b2"][:, None]
    data = X.T                                      # (n, m)
    m = data.shape[1]
    a2 = sigmoid(W1 @ data + b1)
    a3 = sigmoid(W2 @ a2 + b2)
    rho_hat = a2.mean(axis=1, keepdims=True)        # (h, 1)
    cost = (0.5 / m) * np.sum((a3 - data) ** 2) + lam / 2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2)) \
        + beta * np.sum(kl_helper(rho, rho_hat))
    d3 = -(data - a3) * a3 * (1 - a3)
    sp = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))
    d2 = (W2.T @ d3 + sp) * a2 * (1 - a2)
    W1grad = d2 @ data.T / m + lam * W1
    W2grad = d3 @ a2.T / m + lam * W2
    return cost, {"W1": W1grad.T, "W2": W2grad.T, "b1": d2.mean(axis=1), "b2": d3.mean(axis=1)}


def sae_own_helpers_tile(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """The student's own sigmoid and kl helpers; sparsity term tiled to (m, h); sigma' from z."""
    m = X.shape[0]
    z2 = X @ params["W1"] + params["b1"]
    H = sigmoid(z2)
    z3 = H @ params["W2"] + params["b2"]
    Xh = sigmoid(z3)
    rho_hat = H.sum(axis=0) / m
    decay = lam / 2 * (np.linalg.norm(params["W1"]) ** 2 + np.linalg.norm(params["W2"]) ** 2)
    cost = np.sum((Xh - X) ** 2) / (2 * m) + decay + beta * kl_helper(rho, rho_hat).sum()
    dsig = lambda z: np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))) ** 2  # noqa: E731  (sigma', symmetric)
    d3 = (Xh - X) * dsig(z3)
    sparse = np.tile(beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)), (m, 1))
    d2 = (d3 @ params["W2"].T + sparse) * dsig(z2)
    grads = {"W1": (X.T @ d2) / m + lam * params["W1"], "b1": np.mean(d2, axis=0),
             "W2": (H.T @ d3) / m + lam * params["W2"], "b2": np.mean(d3, axis=0)}
    return float(cost), grads


def sae_sample_loop(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """A Python loop over samples for the backward pass (slow but correct); expit from scipy."""
    m = X.shape[0]
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    H = expit(X @ W1 + b1)
    Xh = expit(H @ W2 + b2)
    rho_hat = H.mean(0)
    cost = 0.5 * np.mean(np.sum((Xh - X) ** 2, axis=1)) + 0.5 * lam * (np.sum(W1 * W1) + np.sum(W2 * W2)) \
        + beta * np.sum(kl_helper(rho, rho_hat))
    sp = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))
    g = {"W1": lam * W1.copy(), "b1": np.zeros_like(b1), "W2": lam * W2.copy(), "b2": np.zeros_like(b2)}
    for i in range(m):
        d3 = (Xh[i] - X[i]) * Xh[i] * (1 - Xh[i])
        d2 = (W2 @ d3 + sp) * H[i] * (1 - H[i])
        g["W2"] += np.outer(H[i], d3) / m
        g["b2"] += d3 / m
        g["W1"] += np.outer(X[i], d2) / m
        g["b1"] += d2 / m
    return np.array([[cost]]), g


FAIR = [
    ("test_kl_divergence", (kl_scipy_kl_div,)),
    ("test_kl_divergence", (kl_cross_minus_entropy,)),
    ("test_kl_divergence", (kl_log_of_ratio_product,)),
    ("test_sparse_autoencoder_cost", (sae_columns_ufldl,)),
    ("test_sparse_autoencoder_cost", (sae_own_helpers_tile,)),
    ("test_sparse_autoencoder_cost", (sae_sample_loop,)),
    ("test_sparse_autoencoder_grad", (sae_columns_ufldl,)),
    ("test_sparse_autoencoder_grad", (sae_own_helpers_tile,)),
    ("test_sparse_autoencoder_grad", (sae_sample_loop,)),
]
