"""Every check gives the reference full marks (as a plain float), and known mistakes fewer
points with the mistake named. a1 has its own, longer file."""
import numpy as np
import pytest

from grader.assignments import ASSIGNMENTS
from grader.checks import a2, a3
from grader.reference import optimizers as O
from grader.reference import regularization as R

FULL = [
    (a2.check_l2, (R.l2_penalty, R.l2_penalty_grad), "a2-regularization", "test_l2"),
    (a2.check_l1, (R.l1_penalty, R.l1_penalty_grad), "a2-regularization", "test_l1"),
    (a2.check_weight_decay_step, (R.weight_decay_step,), "a2-regularization", "test_weight_decay_step"),
    (a2.check_l1_step, (R.l1_step,), "a2-regularization", "test_l1_step"),
    (a2.check_ridge_fit, (R.ridge_fit,), "a2-regularization", "test_ridge_fit"),
    (a2.check_choose_lambda, (R.choose_lambda,), "a2-regularization", "test_choose_lambda"),
    (a3.check_gradient_descent, (O.gradient_descent,), "a3-optimizers", "test_gradient_descent"),
    (a3.check_momentum, (O.momentum,), "a3-optimizers", "test_momentum"),
    (a3.check_nesterov, (O.nesterov,), "a3-optimizers", "test_nesterov"),
    (a3.check_adagrad, (O.adagrad,), "a3-optimizers", "test_adagrad"),
    (a3.check_adadelta, (O.adadelta,), "a3-optimizers", "test_adadelta"),
    (a3.check_rmsprop, (O.rmsprop,), "a3-optimizers", "test_rmsprop"),
    (a3.check_adam, (O.adam,), "a3-optimizers", "test_adam"),
]


@pytest.mark.parametrize("check, fns, assignment, grade_id", FULL, ids=lambda x: getattr(x, "__name__", None))
def test_reference_gets_full_marks(check, fns, assignment, grade_id, capsys):
    score = check(*fns)
    assert type(score) is float and score == ASSIGNMENTS[assignment][grade_id]
    assert "FAIL" not in capsys.readouterr().out


def adam_t_from_zero(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    s = state or {"t": 0, "m": {k: 0.0 for k in params}, "v": {k: 0.0 for k in params}}
    g = grad_fn(params)
    t = s["t"]                                     # used before it is increased
    m = {k: beta1 * s["m"][k] + (1 - beta1) * g[k] for k in params}
    v = {k: beta2 * s["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
    new = {k: params[k] - lr * (m[k] / (1 - beta1 ** t)) / (np.sqrt(v[k] / (1 - beta2 ** t)) + eps)
           for k in params}
    return new, {"t": t + 1, "m": m, "v": v}


def momentum_in_place(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """Right numbers, but it overwrites the caller's arrays: the check's copies make that harmless."""
    v = state or {k: np.zeros_like(p) for k, p in params.items()}
    g = grad_fn(params)
    for k in params:
        v[k] = gamma * v[k] + lr * g[k]
        params[k] -= v[k]
    return params, v


@pytest.mark.parametrize("check, fn, text, full", [
    (a3.check_adam, a3._adam_variant(correct=False), "no bias correction", False),
    (a3.check_adam, a3._adam_variant(eps_inside=True), "eps is inside the square root", False),
    (a3.check_adam, adam_t_from_zero, "1 - beta^0 = 0", False),
    (a3.check_nesterov, O.momentum, "look-ahead point", False),
    (a3.check_momentum, O.nesterov, "that is NAG", False),
    (a3.check_momentum, a3._momentum_lr_twice, "lr is applied twice", False),
    (a3.check_adagrad, a3._adagrad_sum_g, "SQUARES", False),
    (a3.check_adadelta, a3._adadelta_current_rms, "RMS[dtheta]_{t-1}", False),
    (a3.check_rmsprop, a3._rmsprop_no_decay, "not decayed", False),
    (a3.check_momentum, momentum_in_place, "", True),
])
def test_optimizer_mistakes_are_named(check, fn, text, full, capsys):
    score = check(fn)
    out = capsys.readouterr().out
    assert text in out
    assert (score == ASSIGNMENTS["a3-optimizers"]["test_" + check.__name__[6:]]) == full


def test_l1_gradient_with_abs_is_named(capsys):
    def l1_grad_abs(p, lam):
        return {k: lam * np.abs(v) if k.startswith("W") else np.zeros_like(v) for k, v in p.items()}
    score = a2.check_l1(R.l1_penalty, l1_grad_abs)
    assert 0 < score < 3 and "lam*sign(w), not lam*|w|" in capsys.readouterr().out
