"""Wrong a5 answers as students write them (see mistakes_a1.py)."""
import numpy as np
from scipy.special import expit, logsumexp


def sf_first_layer(params, X):
    return expit(X @ params["W1"] + params["b1"])


def sf_with_softmax_layer(params, X):
    return expit(expit(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]) @ params["W3"] + params["b3"]


def sf_no_bias(params, X):
    return expit(expit(X @ params["W1"]) @ params["W2"])


def sf_no_second_sigmoid(params, X):
    return expit(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def _logits(params, X):
    return expit(expit(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]) @ params["W3"] + params["b3"]


def predict_probabilities(params, X):
    Z = _logits(params, X)
    return np.exp(Z - logsumexp(Z, axis=1, keepdims=True))


def predict_axis0(params, X):
    return np.argmax(_logits(params, X), axis=0)


def predict_from_one(params, X):
    return np.argmax(_logits(params, X), axis=1) + 1


def predict_features(params, X):
    return np.argmax(expit(expit(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]), axis=1)


def _stacked(params, X, y, lam, decayed=("W3",), half=0.5, sigmoid_grad=True, m_in_grad=True, summed=False):
    m = X.shape[0]
    A1 = expit(X @ params["W1"] + params["b1"])
    A2 = expit(A1 @ params["W2"] + params["b2"])
    Z = A2 @ params["W3"] + params["b3"]
    logP = Z - logsumexp(Z, axis=1, keepdims=True)
    nll = -logP[np.arange(m), y]
    cost = (nll.sum() if summed else nll.mean()) + half * lam * sum(np.sum(params[k] ** 2) for k in decayed)
    d3 = np.exp(logP)
    d3[np.arange(m), y] -= 1
    if m_in_grad and not summed:
        d3 /= m
    d2 = d3 @ params["W3"].T * (A2 * (1 - A2) if sigmoid_grad else 1)
    d1 = d2 @ params["W2"].T * (A1 * (1 - A1) if sigmoid_grad else 1)
    g = {"W1": X.T @ d1, "b1": d1.sum(0), "W2": A1.T @ d2, "b2": d2.sum(0), "W3": A2.T @ d3, "b3": d3.sum(0)}
    for k in decayed:
        g[k] = g[k] + 2 * half * lam * params[k]
    return cost, g


def stacked_decay_all(params, X, y, lam=1e-4):
    return _stacked(params, X, y, lam, decayed=("W1", "W2", "W3"))


def stacked_no_sigmoid_grad(params, X, y, lam=1e-4):
    return _stacked(params, X, y, lam, sigmoid_grad=False)


def stacked_no_m(params, X, y, lam=1e-4):
    return _stacked(params, X, y, lam, m_in_grad=False)


def stacked_summed(params, X, y, lam=1e-4):
    return _stacked(params, X, y, lam, summed=True)


def stacked_decay_no_half(params, X, y, lam=1e-4):
    return _stacked(params, X, y, lam, half=1.0)


MISTAKES = [
    ("test_stack_features", (sf_first_layer,), "these are the first layer's features"),
    ("test_stack_features", (sf_with_softmax_layer,), "the softmax layer is included"),
    ("test_stack_features", (sf_no_bias,), "the biases are left out"),
    ("test_stack_features", (sf_no_second_sigmoid,), "the second layer's sigmoid is missing"),
    ("test_predict", (predict_probabilities,), "these are the softmax probabilities"),
    ("test_predict", (predict_axis0,), "the argmax is over the samples"),
    ("test_predict", (predict_from_one,), "the classes count from 1"),
    ("test_predict", (predict_features,), "this is the argmax of the features"),
    ("test_stacked_cost", (stacked_decay_all,), "only the softmax weights W3"),
    ("test_stacked_grad", (stacked_no_sigmoid_grad,), "the sigmoid's derivative A * (1 - A) is missing"),
    ("test_stacked_grad", (stacked_no_m,), "the gradient is missing the 1/m"),
    ("test_stacked_cost", (stacked_summed,), "summed over the samples"),
    ("test_stacked_cost", (stacked_decay_no_half,), "the weight decay is missing its 1/2"),
]
