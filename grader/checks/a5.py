"""Checks for a5-stacked-autoencoder: two sigmoid encoder layers (W1, b1, W2, b2) and a
softmax layer (W3, b3), fine-tuned as one network."""
import numpy as np
from scipy.special import expit, logsumexp

from ..reference import stacked_autoencoder as R
from ._core import compare, run_check

A = "a5-stacked-autoencoder"
AUTODIFF = ((), ("autograd", "jax", "torch", "tensorflow"),
            "the gradient must be computed by your own backpropagation; an automatic-differentiation "
            "library earns no points for it")


def _net(seed, sizes=(7, 5, 4, 3)):
    rng = np.random.default_rng(seed)
    p = {}
    for l in range(1, len(sizes)):
        p[f"W{l}"] = rng.normal(size=(sizes[l - 1], sizes[l]))
        p[f"b{l}"] = rng.normal(size=sizes[l]) * 0.5
    X = rng.uniform(0, 1, (9, sizes[0]))
    y = rng.integers(0, sizes[-1], 9)
    return p, X, y


def _variant(kind):
    def f(p, X, y, lam):
        m = X.shape[0]
        A1 = expit(X @ p["W1"] + p["b1"])
        A2 = expit(A1 @ p["W2"] + p["b2"])
        Z = A2 @ p["W3"] + p["b3"]
        logP = Z - logsumexp(Z, axis=1, keepdims=True)
        decayed = ("W1", "W2", "W3") if kind == "decay_all" else ("W3",)
        cost = -np.mean(logP[np.arange(m), y]) + 0.5 * lam * sum(np.sum(p[k] ** 2) for k in decayed)
        d = np.exp(logP)
        d[np.arange(m), y] -= 1
        d = d if kind == "no_m" else d / m
        g = {"W3": A2.T @ d, "b3": d.sum(0)}
        d2 = d @ p["W3"].T * (1.0 if kind == "no_sigmoid_grad" else A2 * (1 - A2))
        g["W2"], g["b2"] = A1.T @ d2, d2.sum(0)
        d1 = d2 @ p["W2"].T * (1.0 if kind == "no_sigmoid_grad" else A1 * (1 - A1))
        g["W1"], g["b1"] = X.T @ d1, d1.sum(0)
        for k in decayed:
            g[k] = g[k] + lam * p[k]
        return float(cost), g
    return f


MISTAKES = {
    "weight decay is applied to the autoencoder layers too: in fine-tuning only the softmax weights W3 "
    "are decayed (the encoders had their decay during pretraining)": _variant("decay_all"),
    "the sigmoid's derivative A * (1 - A) is missing when the error passes back through a hidden layer":
        _variant("no_sigmoid_grad"),
    "the gradient is missing the 1/m: the cross-entropy is averaged over the m samples": _variant("no_m"),
}


def _cases(fn, part):
    cases = []
    for seed, lam in ((50, 1e-4), (51, 0.3), (52, 1.0)):
        p, X, y = _net(seed)
        post = (lambda r: float(r[0])) if part == "cost" else (lambda r: r[1])
        cases.append(compare(f"9 samples, layers 7-5-4-3, lam = {lam}", fn, R.finetune_cost_and_grad,
                             (p, X, y, lam), post=post, mistakes=MISTAKES, rtol=1e-6, atol=1e-10))
    return cases


def check_stack_features(fn):
    cases = []
    for i, seed in enumerate((53, 54), start=1):
        p, X, _ = _net(seed)
        cases.append(compare(f"two encoder layers, example {i}", fn, R.features, (p, X), rtol=1e-10, mistakes={
            "these are the first layer's features: pass them through the second encoder too":
                lambda p, X: expit(X @ p["W1"] + p["b1"]),
            "the softmax layer is included: the features are the second hidden layer's activations":
                lambda p, X: R.features(p, X) @ p["W3"] + p["b3"]}))
    return run_check(A, "test_stack_features", "stack_features", fn, cases)


def check_cost(fn):
    return run_check(A, "test_stacked_cost", "stacked_cost_and_grad: the cost", fn, _cases(fn, "cost"))


def check_grad(fn):
    return run_check(A, "test_stacked_grad", "stacked_cost_and_grad: the gradient", fn, _cases(fn, "grad"),
                     forbidden=AUTODIFF)


def check_predict(fn):
    cases = []
    for i, seed in enumerate((55, 56), start=1):
        p, X, _ = _net(seed, sizes=(7, 5, 4, 6))
        cases.append(compare(f"six classes, example {i}", fn, R.predict, (p, X)))
    return run_check(A, "test_predict", "predict", fn, cases)
