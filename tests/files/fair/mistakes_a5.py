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


# ---- from the fairness review (each named by its own diagnosis) ----------------------------------

def sigmoid(z):
    return 0.5 * (np.tanh(0.5 * z) + 1)


def sf_relu_second(params, X):
    """Second layer with ReLU (copied from another course)."""
    A1 = sigmoid(X @ params["W1"] + params["b1"])
    return np.maximum(0, A1 @ params["W2"] + params["b2"])


def predict_keepdims(params, X):
    """argmax with keepdims: shape (m, 1) instead of (m,)."""
    Z = sigmoid(sigmoid(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]) @ params["W3"] + params["b3"]
    return np.argmax(Z, axis=1)[:, None]


def predict_no_b3(params, X):
    A2 = sigmoid(sigmoid(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"])
    return np.argmax(A2 @ params["W3"], axis=1)


def _fwd(params, X):
    A1 = sigmoid(X @ params["W1"] + params["b1"])
    A2 = sigmoid(A1 @ params["W2"] + params["b2"])
    Z = A2 @ params["W3"] + params["b3"]
    return A1, A2, Z


def _cg(params, X, y, lam, kind):
    m = X.shape[0]
    A1, A2, Z = _fwd(params, X)
    logP = Z - logsumexp(Z, axis=1, keepdims=True)
    decay = lam / 2 * np.sum(params["W3"] ** 2)
    if kind == "decay_b3":
        decay += lam / 2 * np.sum(params["b3"] ** 2)
    cost = -np.mean(logP[np.arange(m), y]) + decay
    d3 = np.exp(logP)
    d3[np.arange(m), y] -= 1
    d3 /= m
    if kind == "sign":
        d3 = -d3
    d2 = d3 @ params["W3"].T * A2 * (1 - A2)
    d1 = d2 @ params["W2"].T * A1 * (1 - A1)
    g = {"W3": A2.T @ d3 + (0 if kind == "no_decay_grad" else lam * params["W3"]), "b3": d3.sum(0),
         "W2": A1.T @ d2, "b2": d2.sum(0), "W1": X.T @ d1, "b1": d1.sum(0)}
    if kind == "decay_b3":
        g["b3"] = g["b3"] + lam * params["b3"]
    if kind == "bias_mean":
        g["b1"], g["b2"], g["b3"] = d1.mean(0), d2.mean(0), d3.mean(0)
    return cost, g


def stacked_decay_b3(params, X, y, lam=1e-4):
    """The softmax bias b3 decayed too."""
    return _cg(params, X, y, lam, "decay_b3")


def stacked_sign(params, X, y, lam=1e-4):
    """delta3 = (Y - P)/m: the sign flipped through the whole backward pass."""
    return _cg(params, X, y, lam, "sign")


def stacked_no_decay_grad(params, X, y, lam=1e-4):
    """lam/2||W3||^2 in the cost, lam*W3 missing from the gradient."""
    return _cg(params, X, y, lam, "no_decay_grad")


def stacked_bias_mean(params, X, y, lam=1e-4):
    """Bias gradients as the MEAN of the deltas (the deltas already carry 1/m): divided by m twice."""
    return _cg(params, X, y, lam, "bias_mean")


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
    ('test_stack_features', (sf_relu_second,), 'the second layer uses ReLU'),
    ('test_predict', (predict_keepdims,), 'the classes come as a column'),
    ('test_predict', (predict_no_b3,), "the softmax layer's bias b3 is left out"),
    ('test_stacked_cost', (stacked_decay_b3,), 'the softmax bias b3 is decayed too'),
    ('test_stacked_grad', (stacked_decay_b3,), 'the softmax bias b3 is decayed too'),
    ('test_stacked_grad', (stacked_sign,), 'the sign is flipped; the output error'),
    ('test_stacked_grad', (stacked_no_decay_grad,), "lam * W3 is missing from W3's gradient"),
    ('test_stacked_grad', (stacked_bias_mean,), 'the bias gradients are divided by m twice'),
]
