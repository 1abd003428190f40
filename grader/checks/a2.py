"""Checks for a2-regularization."""
import numpy as np

from ..reference import regularization as R
from ._core import compare, run_check

A = "a2-regularization"


def _net(seed, with_zero=False):
    rng = np.random.default_rng(seed)
    p = {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=3),
         "W2": rng.normal(size=(3, 2)), "b2": rng.normal(size=2)}
    if with_zero:
        p["W1"][0, 0] = 0.0
    return p


def _grads(seed):
    return {k: v * 0.5 for k, v in _net(seed + 100).items()}


def _all_keys(p):
    return [k for k in p]


def check_l2(l2_penalty, l2_penalty_grad):
    cases = []
    for seed, lam in ((1, 0.1), (2, 3.0)):
        p = _net(seed)
        cases.append(compare(f"l2_penalty, lam = {lam}", l2_penalty, R.l2_penalty, (p, lam), mistakes={
            "the biases are penalised too: only the weights (names starting with W) are":
                lambda p, lam: R.l2_penalty(p, lam, keys=_all_keys(p)),
            "missing the 1/2: the penalty is lam/2 * sum of squared weights":
                lambda p, lam: 2 * R.l2_penalty(p, lam)}))
        cases.append(compare(f"l2_penalty_grad, lam = {lam}", l2_penalty_grad, R.l2_penalty_grad, (p, lam),
                             weight=1.5, mistakes={
            "the biases get a penalty gradient too: the gradient for every b must be 0":
                lambda p, lam: R.l2_penalty_grad(p, lam, keys=_all_keys(p)),
            "the gradient of lam/2 * w^2 is lam * w, not 2 * lam * w":
                lambda p, lam: {k: 2 * v for k, v in R.l2_penalty_grad(p, lam).items()}}))
    return run_check(A, "test_l2", "l2_penalty and l2_penalty_grad", (l2_penalty, l2_penalty_grad), cases)


def check_l1(l1_penalty, l1_penalty_grad):
    cases = []
    for seed, lam in ((3, 0.1), (4, 2.0)):
        p = _net(seed, with_zero=True)
        cases.append(compare(f"l1_penalty, lam = {lam}", l1_penalty, R.l1_penalty, (p, lam), mistakes={
            "the biases are penalised too: only the weights (names starting with W) are":
                lambda p, lam: R.l1_penalty(p, lam, keys=_all_keys(p))}))
        cases.append(compare(f"l1_penalty_grad, lam = {lam} (one weight exactly 0)", l1_penalty_grad,
                             R.l1_penalty_grad, (p, lam), weight=1.5, mistakes={
            "the gradient of lam*|w| is lam*sign(w), not lam*|w|":
                lambda p, lam: {k: (lam * np.abs(v) if k.startswith("W") else 0 * v) for k, v in p.items()},
            "the biases get a penalty gradient too: the gradient for every b must be 0":
                lambda p, lam: R.l1_penalty_grad(p, lam, keys=_all_keys(p))}))
    return run_check(A, "test_l1", "l1_penalty and l1_penalty_grad", (l1_penalty, l1_penalty_grad), cases)


def check_weight_decay_step(fn):
    cases = [compare(f"lr = {lr}, lam = {lam}", fn, R.weight_decay_step, (_net(s), _grads(s), lr, lam), mistakes={
        "the bias is decayed too: b <- b - lr * dJ/db, with no (1 - lr*lam) factor":
            lambda p, g, lr, lam: R.weight_decay_step(p, g, lr, lam, keys=_all_keys(p)),
        "the decay factor is (1 - lr*lam), not (1 - lam)":
            lambda p, g, lr, lam: {k: ((1 - lam) * v if k.startswith("W") else v) - lr * g[k]
                                   for k, v in p.items()}})
        for s, lr, lam in ((5, 0.1, 0.5), (6, 0.01, 2.0))]
    return run_check(A, "test_weight_decay_step", "weight_decay_step", fn, cases)


def check_l1_step(fn):
    cases = [compare(f"lr = {lr}, lam = {lam}", fn, R.l1_step, (_net(s, True), _grads(s), lr, lam), mistakes={
        "the penalty's gradient is lam*sign(w), not lam*|w|: with |w| every weight is pushed "
        "down whatever its sign, instead of towards 0":
            lambda p, g, lr, lam: {k: v - (lr * lam * np.abs(v) if k.startswith("W") else 0) - lr * g[k]
                                   for k, v in p.items()},
        "the bias is penalised too: b <- b - lr * dJ/db":
            lambda p, g, lr, lam: R.l1_step(p, g, lr, lam, keys=_all_keys(p))})
        for s, lr, lam in ((7, 0.1, 0.5), (8, 0.05, 1.0))]
    return run_check(A, "test_l1_step", "l1_step", fn, cases)


def _wb(result):
    w, b = result
    return np.r_[np.ravel(np.asarray(w, dtype=float)), float(b)]


def _penalise_bias(Phi, y, lam):
    A = np.c_[Phi, np.ones(len(y))]
    sol = np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ y)
    return sol[:-1], sol[-1]


def check_ridge_fit(fn):
    rng = np.random.default_rng(9)
    cases = []
    for m, n, lam in ((20, 4, 0.5), (15, 9, 3.0), (30, 3, 0.0)):
        Phi, y = rng.normal(size=(m, n)), rng.normal(size=m) + 2.0
        cases.append(compare(f"{m} samples, {n} features, lam = {lam}", fn, R.ridge_fit, (Phi, y, lam),
                             post=_wb, rtol=1e-6, atol=1e-8, mistakes={
            "the intercept b is penalised too: leave it out of the lam/2 ||w||^2 term":
                _penalise_bias,
            "lam is ignored: this is the plain least-squares fit":
                lambda Phi, y, lam: R.ridge_fit(Phi, y, 0.0)}))
    return run_check(A, "test_ridge_fit", "ridge_fit", fn, cases)


def check_choose_lambda(fn):
    rng = np.random.default_rng(10)
    cases = []
    for k in range(2):
        Phi, y = rng.normal(size=(12, 8)), rng.normal(size=12)
        Phi_v, y_v = rng.normal(size=(40, 8)), rng.normal(size=40)
        lams = [1e-4, 1e-2, 1.0, 10.0, 1000.0]
        cases.append(compare(f"validation set {k + 1}", fn, R.choose_lambda, (Phi, y, Phi_v, y_v, lams), mistakes={
            "this is the lam with the lowest TRAINING error (always the smallest): choose on the validation data":
                lambda Phi, y, Pv, yv, lams: float(lams[0])}))
    return run_check(A, "test_choose_lambda", "choose_lambda", fn, cases)
