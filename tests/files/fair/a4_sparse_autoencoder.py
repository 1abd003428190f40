"""Correct a4 answers written the way students write them (see a1_losses.py)."""
import numpy as np
from scipy.special import expit, rel_entr, xlogy


# ---- kl_divergence -------------------------------------------------------------------------------

def kl_xlogy(rho, rho_hat):
    return xlogy(rho, rho / rho_hat) + xlogy(1 - rho, (1 - rho) / (1 - rho_hat))


def kl_log_differences(rho, rho_hat):
    rho_hat = np.asarray(rho_hat)
    return rho * (np.log(rho) - np.log(rho_hat)) + (1 - rho) * (np.log1p(-rho) - np.log1p(-rho_hat))


def kl_rel_entr(rho, rho_hat):
    return rel_entr(rho, rho_hat) + rel_entr(1 - rho, 1 - rho_hat)


def kl_float32(rho, rho_hat):
    r, q = np.float32(rho), np.asarray(rho_hat, np.float32)
    return r * np.log(r / q) + (1 - r) * np.log((1 - r) / (1 - q))


# ---- sparse_autoencoder_cost ----------------------------------------------------------------------

def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sae_ufldl(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """UFLDL's sparseAutoencoderCost, transposed: the cost is a one-element array (MATLAB's 1x1)."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    m = X.shape[0]
    a2 = _sigmoid(X @ W1 + b1)
    a3 = _sigmoid(a2 @ W2 + b2)
    rho_hat = np.sum(a2, axis=0, keepdims=True) / m               # (1, h)
    kl = rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
    cost = (np.sum((a3 - X) ** 2, keepdims=True).reshape(1) / (2 * m)
            + lam / 2 * (np.sum(W1 ** 2) + np.sum(W2 ** 2)) + beta * np.sum(kl))
    delta3 = -(X - a3) * a3 * (1 - a3)
    sparsity_delta = -rho / rho_hat + (1 - rho) / (1 - rho_hat)
    delta2 = (delta3 @ W2.T + beta * sparsity_delta) * a2 * (1 - a2)
    grads = {"W1": X.T @ delta2 / m + lam * W1, "W2": a2.T @ delta3 / m + lam * W2,
             "b1": delta2.sum(axis=0) / m, "b2": delta3.sum(axis=0) / m}
    return cost, grads


def sae_float32(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """Everything in float32 (the notebook trains on float32 digits to save time)."""
    p = {k: np.asarray(v, np.float32) for k, v in params.items()}
    X = np.asarray(X, np.float32)
    m = np.float32(X.shape[0])
    H = expit(X @ p["W1"] + p["b1"])
    Xh = expit(H @ p["W2"] + p["b2"])
    rho_hat = H.mean(axis=0)
    cost = (0.5 / m * np.sum((Xh - X) ** 2) + np.float32(lam / 2) * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
            + np.float32(beta) * np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))))
    d3 = (Xh - X) * Xh * (1 - Xh) / m
    d2 = (d3 @ p["W2"].T + np.float32(beta) / m * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))) * H * (1 - H)
    return cost, {"W1": X.T @ d2 + np.float32(lam) * p["W1"], "b1": d2.sum(0),
                  "W2": H.T @ d3 + np.float32(lam) * p["W2"], "b2": d3.sum(0)}


def sae_einsum_tanh(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """sigmoid through tanh, products through einsum, the cost as np.float64."""
    sig = lambda z: 0.5 * (1 + np.tanh(0.5 * z))  # noqa: E731
    m = len(X)
    H = sig(np.einsum("ij,jk->ik", X, params["W1"]) + params["b1"])
    Xh = sig(np.einsum("ij,jk->ik", H, params["W2"]) + params["b2"])
    rho_hat = np.einsum("ij->j", H) / m
    kl = xlogy(rho, rho / rho_hat) + xlogy(1 - rho, (1 - rho) / (1 - rho_hat))
    cost = np.einsum("ij,ij->", Xh - X, Xh - X) / (2 * m) + lam / 2 * sum(np.einsum("ij,ij->", W, W)
                                                                          for W in (params["W1"], params["W2"])) \
        + beta * kl.sum()
    d3 = (Xh - X) * Xh * (1 - Xh)
    d2 = (d3 @ params["W2"].T + beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))) * H * (1 - H)
    return cost, {"W1": np.einsum("ij,ik->jk", X, d2) / m + lam * params["W1"], "b1": d2.mean(axis=0),
                  "W2": np.einsum("ij,ik->jk", H, d3) / m + lam * params["W2"], "b2": d3.mean(axis=0)}


def sae_list_return(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """Returns [cost, grads] and a 0-d array cost; the KL through the module's own kl function."""
    m = X.shape[0]
    H = expit(X @ params["W1"] + params["b1"])
    Xh = expit(H @ params["W2"] + params["b2"])
    rho_hat = H.mean(0)
    cost = np.asarray(np.sum((Xh - X) ** 2) / 2 / m + lam / 2 * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
                      + beta * np.sum(kl_log_differences(rho, rho_hat)))
    err_out = (Xh - X) * Xh * (1 - Xh) / m
    sparse = beta / m * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))
    err_hid = (err_out @ params["W2"].T + sparse[None, :]) * H * (1 - H)
    grads = dict(b2=err_out.sum(0), W2=H.T @ err_out + lam * params["W2"],
                 b1=err_hid.sum(0), W1=X.T @ err_hid + lam * params["W1"])
    return [cost, grads]


FAIR = [
    ("test_kl_divergence", (kl_xlogy,)),
    ("test_kl_divergence", (kl_log_differences,)),
    ("test_kl_divergence", (kl_rel_entr,)),
    ("test_kl_divergence", (kl_float32,)),
    ("test_sparse_autoencoder_cost", (sae_ufldl,)),
    ("test_sparse_autoencoder_cost", (sae_float32,)),
    ("test_sparse_autoencoder_cost", (sae_einsum_tanh,)),
    ("test_sparse_autoencoder_cost", (sae_list_return,)),
    ("test_sparse_autoencoder_grad", (sae_ufldl,)),
    ("test_sparse_autoencoder_grad", (sae_float32,)),
    ("test_sparse_autoencoder_grad", (sae_einsum_tanh,)),
    ("test_sparse_autoencoder_grad", (sae_list_return,)),
]
