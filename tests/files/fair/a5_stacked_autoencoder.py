"""Correct a5 answers written the way students write them (see a1_losses.py)."""
import numpy as np
from scipy.special import expit, logsumexp


def sigmoid(z):
    return 0.5 * (np.tanh(0.5 * z) + 1)      # the notebook's own sigmoid


# ---- stack_features ------------------------------------------------------------------------------

def stack_features_expit(params, X):
    return expit(expit(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"])


def stack_features_loop(params, X):
    A = X
    for l in (1, 2):
        A = sigmoid(A @ params[f"W{l}"] + params[f"b{l}"])
    return A


def stack_features_float32(params, X):
    """float32 activations (what a memory-conscious student does for 60,000 digits)."""
    A = np.asarray(X, np.float32)
    for l in (1, 2):
        A = 1 / (1 + np.exp(-(A @ params[f"W{l}"].astype(np.float32) + params[f"b{l}"].astype(np.float32))))
    return A


def stack_features_transposed(params, X):
    """UFLDL's column layout inside, transposed back at the end."""
    a = X.T
    a = expit(params["W1"].T @ a + params["b1"][:, None])
    a = expit(params["W2"].T @ a + params["b2"][:, None])
    return a.T


# ---- predict -------------------------------------------------------------------------------------

def predict_probabilities(params, X):
    """argmax of the softmax probabilities (the same as of the logits)."""
    Z = stack_features_expit(params, X) @ params["W3"] + params["b3"]
    P = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
    return P.argmax(axis=1)


def predict_loop(params, X):
    H = stack_features_loop(params, X)
    return np.array([int(np.argmax(h @ params["W3"] + params["b3"])) for h in H])


def predict_float32(params, X):
    Z = stack_features_float32(params, X) @ params["W3"].astype(np.float32) + params["b3"].astype(np.float32)
    return np.argmax(Z, axis=1).astype(np.int32)


# ---- stacked_cost_and_grad ----------------------------------------------------------------------

def stacked_ufldl(params, X, y, lam=1e-4):
    """UFLDL's stackedAECost transposed: a groundTruth matrix, probabilities, a one-element cost."""
    m = X.shape[0]
    k = params["W3"].shape[1]
    ground = np.zeros((m, k))
    ground[np.arange(m), y] = 1
    a2 = sigmoid(X @ params["W1"] + params["b1"])
    a3 = sigmoid(a2 @ params["W2"] + params["b2"])
    Z = a3 @ params["W3"] + params["b3"]
    Z -= Z.max(axis=1, keepdims=True)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    cost = -np.sum(ground * np.log(P), keepdims=True).ravel() / m + lam / 2 * np.sum(params["W3"] ** 2)
    d4 = -(ground - P) / m
    d3 = d4 @ params["W3"].T * a3 * (1 - a3)
    d2 = d3 @ params["W2"].T * a2 * (1 - a2)
    return cost, {"W3": a3.T @ d4 + lam * params["W3"], "b3": d4.sum(0), "W2": a2.T @ d3, "b2": d3.sum(0),
                  "W1": X.T @ d2, "b1": d2.sum(0)}


def stacked_float32(params, X, y, lam=1e-4):
    p = {k: v.astype(np.float32) for k, v in params.items()}
    X = X.astype(np.float32)
    m = X.shape[0]
    A1 = expit(X @ p["W1"] + p["b1"])
    A2 = expit(A1 @ p["W2"] + p["b2"])
    Z = A2 @ p["W3"] + p["b3"]
    logP = Z - logsumexp(Z, axis=1, keepdims=True)
    cost = -logP[np.arange(m), y].mean() + np.float32(lam / 2) * np.sum(p["W3"] ** 2)
    d3 = np.exp(logP)
    d3[np.arange(m), y] -= 1
    d3 /= m
    d2 = d3 @ p["W3"].T * A2 * (1 - A2)
    d1 = d2 @ p["W2"].T * A1 * (1 - A1)
    return cost, {"W1": X.T @ d1, "b1": d1.sum(0), "W2": A1.T @ d2, "b2": d2.sum(0),
                  "W3": A2.T @ d3 + np.float32(lam) * p["W3"], "b3": d3.sum(0)}


def stacked_layers_loop(params, X, y, lam=1e-4):
    """A loop over the layers forward and backward, the cost as np.float64, labels as one-hot."""
    m = X.shape[0]
    acts = [X]
    for l in (1, 2):
        acts.append(expit(acts[-1] @ params[f"W{l}"] + params[f"b{l}"]))
    Z = acts[-1] @ params["W3"] + params["b3"]
    Y = np.eye(Z.shape[1])[y]
    lse = logsumexp(Z, axis=1)
    cost = np.mean(lse - np.sum(Y * Z, axis=1)) + lam / 2 * np.vdot(params["W3"], params["W3"])
    delta = (np.exp(Z - lse[:, None]) - Y) / m
    grads = {"W3": acts[2].T @ delta + lam * params["W3"], "b3": delta.sum(axis=0)}
    for l in (2, 1):
        delta = (delta @ params[f"W{l + 1}"].T) * acts[l] * (1 - acts[l])
        grads[f"W{l}"], grads[f"b{l}"] = acts[l - 1].T @ delta, delta.sum(axis=0)
    return cost, grads


FAIR = [
    ("test_stack_features", (stack_features_expit,)),
    ("test_stack_features", (stack_features_loop,)),
    ("test_stack_features", (stack_features_float32,)),
    ("test_stack_features", (stack_features_transposed,)),
    ("test_predict", (predict_probabilities,)),
    ("test_predict", (predict_loop,)),
    ("test_predict", (predict_float32,)),
    ("test_stacked_cost", (stacked_ufldl,)),
    ("test_stacked_cost", (stacked_float32,)),
    ("test_stacked_cost", (stacked_layers_loop,)),
    ("test_stacked_grad", (stacked_ufldl,)),
    ("test_stacked_grad", (stacked_float32,)),
    ("test_stacked_grad", (stacked_layers_loop,)),
]
