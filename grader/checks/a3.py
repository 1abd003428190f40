"""Checks for a3-optimizers.

The student's optimizer is run (in the student's kernel) for several consecutive
steps on a small problem, feeding back the state it returned (whatever its form,
it never leaves the kernel), and the parameters after every step are compared with
the reference's. Wrong variants
of each rule are run the same way to name the mistake.
"""
import numpy as np

from ..reference import optimizers as R
from dlcourse.record import quartic_grad

from ._core import Case, StudentError, call_steps, run_check

A = "a3-optimizers"


def _problem(seed, scale=1.0):
    """params {W (3, 2), b (2,)} and the data of a separable, non-quadratic function: f = scale *
    sum(a (p - c)^2 / 2 + 0.1 (p - c)^4 / 4), whose gradient dlcourse.record.quartic_grad builds."""
    rng = np.random.default_rng(seed)
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    a = {k: rng.uniform(0.5, 5.0, v.shape) for k, v in params.items()}
    c = {k: rng.normal(size=v.shape) for k, v in params.items()}
    return params, {"a": a, "c": c, "scale": float(scale)}


def _flat(params):
    return np.concatenate([np.asarray(params[k], dtype=float).ravel() for k in ("W", "b")])


def _trajectory(step, params, problem, n, hyper):
    """Parameters after each of n steps of a reference (or mistake) rule, as one (n, size) array."""
    grad_fn = quartic_grad(problem["a"], problem["c"], problem["scale"])
    state, out = None, []
    for _ in range(n):
        params, state = step(params, grad_fn, state, **hyper)
        out.append(_flat(params))
    return np.array(out)


def _student_trajectory(step, params, problem, n, hyper):
    """The same for the student's step, from its recorded run (its state never leaves the kernel)."""
    out = []
    for p in call_steps(step, params, problem, n, hyper):
        if not isinstance(p, dict):
            raise StudentError("should return a tuple (params, state) with params a dict")
        if set(p) != {"W", "b"}:
            raise StudentError(f"returned params with keys {sorted(p)}; expected ['W', 'b']")
        try:
            out.append(_flat(p))
        except (TypeError, ValueError):
            raise StudentError("returned params whose values are not arrays of numbers") from None
    if any(o.shape != out[0].shape for o in out) or out[0].shape != _flat(params).shape:
        raise StudentError("returned params with the wrong shapes: each must keep its shape")
    return np.array(out)


def _case(name, student, reference, mistakes, seed=0, n=4, hyper=None, scale=1.0, weight=1.0, **opts):
    hyper = hyper or {}

    def run(_):
        p, prob = _problem(seed, scale)
        got = _student_trajectory(student, p, prob, n, hyper)
        return got, _trajectory(reference, p, prob, n, hyper)

    def wrong(step):
        def f():
            p, prob = _problem(seed, scale)
            return _trajectory(step, p, prob, n, hyper)
        return f

    return Case(name, run, weight, {s: wrong(step) for s, step in mistakes.items()}, **opts)


def _cases(student, reference, mistakes, hyper, small_grad=False, **opts):
    cases = [_case("first step", student, reference, mistakes, seed=1, n=1, hyper=hyper, **opts),
             _case("five consecutive steps (state carried over)", student, reference, mistakes, seed=2,
                   n=5, hyper=hyper, weight=2.0, **opts),
             _case("default hyper-parameters", student, reference, mistakes, seed=3, n=3, **opts)]
    if small_grad:
        cases.append(_case("very small gradients (1e-5 scale)", student, reference, mistakes, seed=4, n=3,
                           hyper=hyper, scale=1e-5, rtol=1e-9, atol=1e-14))
    return cases


# ---- wrong variants, written as the mistakes they are -------------------------------------------

def _momentum_sign(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    new, s = R.momentum(params, grad_fn, state, lr, gamma)
    return {k: params[k] + s["v"][k] for k in params}, s


def _momentum_no_lr(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    s = {"v": {k: np.zeros_like(v) for k, v in params.items()}} if state is None else state
    g = grad_fn(params)
    v = {k: gamma * s["v"][k] + g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, {"v": v}


def _momentum_lr_twice(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    s = {"v": {k: np.zeros_like(v) for k, v in params.items()}} if state is None else state
    g = grad_fn(params)
    v = {k: gamma * s["v"][k] + lr * g[k] for k in params}
    return {k: params[k] - lr * v[k] for k in params}, {"v": v}


def _adagrad_sum_g(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    G = {k: np.zeros_like(v) for k, v in params.items()} if state is None else state
    g = grad_fn(params)
    G = {k: G[k] + np.abs(g[k]) for k in params}
    return {k: params[k] - lr / np.sqrt(G[k] + eps) * g[k] for k in params}, G


def _adadelta_current_rms(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    s = state or {"Eg2": {k: np.zeros_like(v) for k, v in params.items()},
                  "Edx2": {k: np.zeros_like(v) for k, v in params.items()}}
    g = grad_fn(params)
    Eg2 = {k: rho * s["Eg2"][k] + (1 - rho) * g[k] ** 2 for k in params}
    first = {k: -np.sqrt(s["Edx2"][k] + eps) / np.sqrt(Eg2[k] + eps) * g[k] for k in params}
    Edx2 = {k: rho * s["Edx2"][k] + (1 - rho) * first[k] ** 2 for k in params}
    dx = {k: -np.sqrt(Edx2[k] + eps) / np.sqrt(Eg2[k] + eps) * g[k] for k in params}
    return {k: params[k] + dx[k] for k in params}, {"Eg2": Eg2, "Edx2": Edx2}


def _adadelta_no_eps_numerator(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    return {k: np.array(v, dtype=float) for k, v in params.items()}, state   # never moves


def _rmsprop_no_decay(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    E = {k: np.zeros_like(v) for k, v in params.items()} if state is None else state
    g = grad_fn(params)
    E = {k: E[k] + g[k] ** 2 for k in params}
    return {k: params[k] - lr / np.sqrt(E[k] + eps) * g[k] for k in params}, E


def _rmsprop_current_only(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    g = grad_fn(params)
    return {k: params[k] - lr / np.sqrt(g[k] ** 2 + eps) * g[k] for k in params}, None


def _adam_variant(correct=True, eps_inside=False):
    def step(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        s = state or {"t": 0, "m": {k: np.zeros_like(v) for k, v in params.items()},
                      "v": {k: np.zeros_like(v) for k, v in params.items()}}
        g = grad_fn(params)
        t = s["t"] + 1
        m = {k: beta1 * s["m"][k] + (1 - beta1) * g[k] for k in params}
        v = {k: beta2 * s["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
        new = {}
        for k in params:
            mh, vh = (m[k] / (1 - beta1 ** t), v[k] / (1 - beta2 ** t)) if correct else (m[k], v[k])
            den = np.sqrt(vh + eps) if eps_inside else np.sqrt(vh) + eps
            new[k] = params[k] - lr * mh / den
        return new, {"t": t, "m": m, "v": v}
    return step


ZERO_DIV = {"divide by zero": "on the first step the bias correction divided by 1 - beta^0 = 0: "
                              "increase t before using it, so that the first step has t = 1",
            "invalid value": "NaN appeared: check that t is 1 on the first step and that you take "
                             "the root of a non-negative quantity"}


def check_gradient_descent(fn):
    return run_check(A, "test_gradient_descent", "gradient_descent", fn, _cases(
        fn, R.gradient_descent, {"the step goes uphill: subtract lr * gradient":
                                 lambda p, g, s=None, lr=0.01: ({k: p[k] + lr * g(p)[k] for k in p}, s)},
        {"lr": 0.05}))


def check_momentum(fn):
    return run_check(A, "test_momentum", "momentum", fn, _cases(fn, R.momentum, {
        "the sign is wrong: theta <- theta - v": _momentum_sign,
        "lr is missing from the velocity: v = gamma v + lr g": _momentum_no_lr,
        "lr is applied twice: v = gamma v + lr g already contains it, so theta <- theta - v": _momentum_lr_twice,
        "the gradient is taken at the look-ahead point: that is NAG, not momentum": R.nesterov,
    }, {"lr": 0.02, "gamma": 0.8}))


def check_nesterov(fn):
    return run_check(A, "test_nesterov", "nesterov", fn, _cases(fn, R.nesterov, {
        "the gradient is taken at theta: NAG takes it at the look-ahead point theta - gamma v": R.momentum,
    }, {"lr": 0.02, "gamma": 0.8}))


def check_adagrad(fn):
    return run_check(A, "test_adagrad", "adagrad", fn, _cases(fn, R.adagrad, {
        "G must accumulate the SQUARES of the gradients, not the gradients": _adagrad_sum_g,
        "this divides by the root of the current squared gradient only: Adagrad sums all past squares":
            _rmsprop_current_only,
    }, {"lr": 0.1}, small_grad=True, on_error={
        "invalid value": "the square root of a negative number: G must accumulate the SQUARES of the gradients"}))


def check_adadelta(fn):
    return run_check(A, "test_adadelta", "adadelta", fn, _cases(fn, R.adadelta, {
        "the numerator uses RMS[dtheta]_t, which includes this step's update: use the previous "
        "step's RMS[dtheta]_{t-1}, then update E[dtheta^2]": _adadelta_current_rms,
        "the parameters never move: RMS[dtheta] = sqrt(E[dtheta^2] + eps) needs its eps, or it starts at 0 "
        "and stays there": _adadelta_no_eps_numerator,
    }, {"rho": 0.9, "eps": 1e-4}))


def check_rmsprop(fn):
    return run_check(A, "test_rmsprop", "rmsprop", fn, _cases(fn, R.rmsprop, {
        "E[g^2] is not decayed: it must be the running average gamma E + (1 - gamma) g^2 "
        "(this accumulates like Adagrad)": _rmsprop_no_decay,
        "there is no running average: E[g^2] must remember past gradients (gamma E + (1 - gamma) g^2)":
            _rmsprop_current_only,
    }, {"lr": 0.01, "gamma": 0.8}, small_grad=True))


def check_adam(fn):
    return run_check(A, "test_adam", "adam", fn, _cases(fn, R.adam, {
        "no bias correction: divide m by (1 - beta1^t) and v by (1 - beta2^t)": _adam_variant(correct=False),
        "eps is inside the square root; the contract puts it outside: sqrt(v_hat) + eps":
            _adam_variant(eps_inside=True),
    }, {"lr": 0.01, "beta1": 0.8, "beta2": 0.99}, small_grad=True, on_error=ZERO_DIV))
