"""Checks for a5-stacked-autoencoder: two sigmoid encoder layers (W1, b1, W2, b2) and a
softmax layer (W3, b3), fine-tuned as one network.

Contracts as judged here: the cost may be any numeric scalar form (a one-element array, as
UFLDL's MATLAB returns, is accepted); grads a dict with the keys and shapes of params; features
in float32 are accurate enough (_core.RTOL); predict returns one class per sample, 0..k-1.
"""
import numpy as np
from scipy.special import expit, logsumexp

from ..reference import stacked_autoencoder as R
from ._core import AUTODIFF, GRADIENT, compare, cost_part, gated, grads_part, run_check, seeded

A = "a5-stacked-autoencoder"


def _net(seed, sizes=(7, 5, 4, 3), m=9):
    rng = seeded(seed)
    p = {}
    for l in range(1, len(sizes)):
        p[f"W{l}"] = rng.normal(size=(sizes[l - 1], sizes[l]))
        p[f"b{l}"] = rng.normal(size=sizes[l]) * 0.5
    X = rng.uniform(0, 1, (m, sizes[0]))
    y = rng.integers(0, sizes[-1], m)
    return p, X, y


def _variant(kind):
    def f(p, X, y, lam):
        m = X.shape[0]
        A1 = expit(X @ p["W1"] + p["b1"])
        A2 = expit(A1 @ p["W2"] + p["b2"])
        Z = A2 @ p["W3"] + p["b3"]
        logP = Z - logsumexp(Z, axis=1, keepdims=True)
        decayed = ("W1", "W2", "W3") if kind == "decay_all" else ("W3",)
        half = 1.0 if kind == "decay_no_half" else 0.5
        cost = -np.mean(logP[np.arange(m), y]) + half * lam * sum(np.sum(p[k] ** 2) for k in decayed)
        if kind == "sum_cost":
            cost = -np.sum(logP[np.arange(m), y]) + 0.5 * lam * np.sum(p["W3"] ** 2)
        if kind == "decay_b3":
            cost += 0.5 * lam * np.sum(p["b3"] ** 2)
        d = np.exp(logP)
        d[np.arange(m), y] -= 1
        d = d if kind in ("no_m", "sum_cost") else d / m
        d = -d if kind == "sign" else d
        total = (lambda e: e.mean(0)) if kind == "bias_mean" else (lambda e: e.sum(0))
        g = {"W3": A2.T @ d, "b3": total(d)}
        d2 = d @ p["W3"].T * (1.0 if kind == "no_sigmoid_grad" else A2 * (1 - A2))
        g["W2"], g["b2"] = A1.T @ d2, total(d2)
        d1 = d2 @ p["W2"].T * (1.0 if kind == "no_sigmoid_grad" else A1 * (1 - A1))
        g["W1"], g["b1"] = X.T @ d1, total(d1)
        for k in (() if kind == "no_decay_grad" else decayed):
            g[k] = g[k] + 2 * half * lam * p[k]
        if kind == "decay_b3":
            g["b3"] = g["b3"] + lam * p["b3"]
        return float(cost), g
    return f


MISTAKES = {
    "weight decay is applied to the autoencoder layers too: in fine-tuning only the softmax weights W3 "
    "are decayed (the encoders had their decay during pretraining)": _variant("decay_all"),
    "the sigmoid's derivative A * (1 - A) is missing when the error passes back through a hidden layer":
        _variant("no_sigmoid_grad"),
    "the gradient is missing the 1/m: the cross-entropy is averaged over the m samples": _variant("no_m"),
    "the cross-entropy is summed over the samples; J averages it (1/m), in the cost and in its gradient":
        _variant("sum_cost"),
    "the weight decay is missing its 1/2: lam/2 * ||W3||^2, whose gradient is lam * W3":
        _variant("decay_no_half"),
    "the softmax bias b3 is decayed too: the weight decay lam/2 ||W3||^2 covers the weights W3 only":
        _variant("decay_b3"),
    "the error is (Y - P)/m: the sign is flipped; the output error of softmax with cross-entropy is (P - Y)/m":
        _variant("sign"),
    "lam * W3 is missing from W3's gradient: the weight decay lam/2 ||W3||^2 is in the cost, so its gradient "
    "lam * W3 belongs in the gradient":
        _variant("no_decay_grad"),
    "the bias gradients are divided by m twice: the errors already carry the 1/m, so sum them over the "
    "samples (axis=0) instead of taking their mean":
        _variant("bias_mean"),
}


HINTS = {"could not be broadcast": "an array lost an axis: a sum or max over axis=1 has shape (m,); keep the "
                                   "axis with keepdims=True (or index with [:, None])",
         "out of bounds": "a label was used as an index past the last class: the labels run from 0 to k-1"}


def _cases(fn, part):
    cases = []
    for seed, lam in ((50, 1e-3), (51, 0.3), (52, 1.0)):     # lam large enough that decaying b3 too always shows
        p, X, y = _net(seed)
        post, tolerance = (cost_part, {}) if part == "cost" else (grads_part, GRADIENT)
        cases.append(compare(f"9 samples, layers 7-5-4-3, lam = {lam}", fn, R.finetune_cost_and_grad,
                             (p, X, y, lam), post=post, mistakes=MISTAKES, on_error=HINTS, **tolerance))
    if part == "grad":
        cases.append(full_size_case(fn))
    return cases


FULL_SIZE = "the lecture's size"


def full_size_case(fn):
    """The lecture's stack, 784-200-200-10 (199,210 parameters), on 1,000 samples: backpropagation takes
    a fraction of a second (also looping over the samples), a gradient by finite differences, which the
    rule forbids and no reading of the source can always see, far more than the cell's time limit: at
    least one evaluation of the cost a parameter, each of them milliseconds at this size (an attack
    review passed this case with forward differences on 9 samples: 199,210 evaluations of 0.16 ms).
    It weighs as much as the small cases together; `gated` takes their points from a gradient right in
    them only. Mistakes are named by the small cases."""
    p, X, y = _net(57, sizes=(784, 200, 200, 10), m=1000)
    p = {k: v * (0.05 if k.startswith("W") else 0.1) for k, v in p.items()}      # no saturated layer
    return compare(FULL_SIZE + ": 1,000 samples, layers 784-200-200-10, lam = 0.01", fn, R.finetune_cost_and_grad,
                   (p, X, y, 0.01), weight=3.0, post=grads_part, on_error=HINTS, **GRADIENT)


def check_stack_features(fn):
    cases = []
    for i, seed in enumerate((53, 54), start=1):
        p, X, _ = _net(seed)
        cases.append(compare(f"two encoder layers, example {i}", fn, R.features, (p, X), mistakes={
            "these are the first layer's features: pass them through the second encoder too":
                lambda p, X: expit(X @ p["W1"] + p["b1"]),
            "the softmax layer is included: the features are the second hidden layer's activations":
                lambda p, X: R.features(p, X) @ p["W3"] + p["b3"],
            "these are the softmax probabilities: the features are the second hidden layer's activations":
                lambda p, X: np.exp(_logits(p, X) - logsumexp(_logits(p, X), axis=1, keepdims=True)),
            "the second layer's sigmoid is missing: A2 = sigmoid(A1 W2 + b2)":
                lambda p, X: expit(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"],
            "the biases are left out: each layer is sigmoid(A W + b)":
                lambda p, X: expit(expit(X @ p["W1"]) @ p["W2"]),
            "the second layer uses ReLU: both encoder layers are sigmoid layers, A2 = sigmoid(A1 W2 + b2)":
                lambda p, X: np.maximum(0.0, expit(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])}))
    return run_check(A, "test_stack_features", "stack_features", fn, cases)


def check_cost(fn):
    return run_check(A, "test_stacked_cost", "stacked_cost_and_grad: the cost", fn, _cases(fn, "cost"))


def check_grad(fn):
    return gated(run_check(A, "test_stacked_grad", "stacked_cost_and_grad: the gradient", fn, _cases(fn, "grad"),
                           forbidden=AUTODIFF), FULL_SIZE)


def _logits(p, X):
    return R.features(p, X) @ p["W3"] + p["b3"]


PREDICT_MISTAKES = {
    "these are the softmax probabilities; predict returns the most probable class of each sample "
    "(argmax over axis=1)":
        lambda p, X: np.exp(_logits(p, X) - logsumexp(_logits(p, X), axis=1, keepdims=True)),
    "the argmax is over the samples (axis=0); each sample's class is the argmax of its row (axis=1)":
        lambda p, X: np.argmax(_logits(p, X), axis=0),
    "the classes count from 1 here (the slides' habit); they run from 0 to k-1":
        lambda p, X: R.predict(p, X) + 1,
    "this is the argmax of the features; the class comes from the softmax layer (W3, b3) on top of them":
        lambda p, X: np.argmax(R.features(p, X), axis=1),
    "this is the argmin: the most probable class is the argmax":
        lambda p, X: np.argmin(_logits(p, X), axis=1),
    "the classes come as a column, shape (m, 1): predict returns a 1-D array of m classes (no keepdims, "
    "no [:, None])":
        lambda p, X: R.predict(p, X)[:, None],
    "the softmax layer's bias b3 is left out: the class is the argmax of A2 W3 + b3":
        lambda p, X: np.argmax(R.features(p, X) @ p["W3"], axis=1)}


def _telling_net(seed):
    """A six-class network and inputs on which every named mistake predicts something else than predict
    (a class label is right or wrong, so a draw where, say, b3 decides no sample could not tell that
    mistake apart): the first of a few draws that does."""
    for attempt in range(50):
        p, X, _ = _net(seed + 1000 * attempt, sizes=(7, 5, 4, 6))
        right = R.predict(p, X)
        if not any(np.array_equal(m(p, X), right) for m in PREDICT_MISTAKES.values()):
            break
    return p, X


def check_predict(fn):
    cases = []
    for i, seed in enumerate((55, 56), start=1):
        p, X = _telling_net(seed)
        cases.append(compare(f"six classes, example {i}", fn, R.predict, (p, X), mistakes=PREDICT_MISTAKES))
    return run_check(A, "test_predict", "predict", fn, cases)
