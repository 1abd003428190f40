"""Checks for a3-optimizers.

The student's optimizer is run (in the student's kernel) for several consecutive
steps on a small problem, feeding back the state it returned (whatever its form,
it never leaves the kernel), and the parameters after every step are compared with
the reference's. Wrong variants
of each rule are run the same way to name the mistake.

Contracts as judged here: the state is the student's business (any form); the parameters are
compared at a float32-appropriate tolerance relative to their size (TRAJECTORY); `params` must
not be modified in place (the notebook says so in bold: judged on the first step, from the
record's "mutated" field); Adam may be written in Kingma & Ba's efficient form (their eps_hat
taken as eps); the default hyper-parameters are those of the signature (the papers'), and a
100-step run at Adam's defaults tells beta2 = 0.999 from the slides' 0.9999.
"""
import numpy as np

from ..reference import optimizers as R
from dlcourse.record import quartic_grad

from ._core import Case, StudentError, call_steps, run_check, seeded

A = "a3-optimizers"


def _problem(seed, scale=1.0):
    """params {W (3, 2), b (2,)} and the data of a separable, non-quadratic function: f = scale *
    sum(a (p - c)^2 / 2 + 0.1 (p - c)^4 / 4), whose gradient dlcourse.record.quartic_grad builds."""
    rng = seeded(seed)
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


def _student_trajectory(step, params, problem, n, hyper, readonly=False):
    """The same for the student's step, from its recorded run (its state never leaves the kernel)."""
    out = []
    for p in call_steps(step, params, problem, n, hyper, readonly):
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


def _near_problem(seed, scale, offset):
    """A problem whose minimum is `offset` (times 0.5..1.5) from the start in every coordinate, with a
    steep `scale`: Adam's steps of about lr never reach it, and the gradients change a lot on the way
    (so that beta2 matters) without coming near 0 (so that where eps sits does not)."""
    rng = seeded(seed)
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    a = {k: rng.uniform(0.5, 5.0, v.shape) for k, v in params.items()}
    side = {k: rng.choice([-1.0, 1.0], v.shape) for k, v in params.items()}
    c = {k: params[k] - side[k] * offset * rng.uniform(0.5, 1.5, params[k].shape) for k in params}
    return params, {"a": a, "c": c, "scale": float(scale)}


#: Trajectories are compared against the size of the parameters (normwise): float32 parameters or
#: state are exact to about 1e-7 of it per step, and every named mistake moves them far more.
TRAJECTORY = {"rtol": 2e-6, "atol": 1e-12, "floor": 1.0}


def _where(index):
    """'W[1, 0] after step 3' for an index (step, position) into a trajectory."""
    step, j = int(index[0]), int(index[1])
    name, pos = ("W", f"[{j // 2}, {j % 2}]") if j < 6 else ("b", f"[{j - 6}]")
    return f"{name}{pos} after step {step + 1}"


def _case(name, student, reference, mistakes, seed=0, n=4, hyper=None, scale=1.0, weight=1.0, near=None,
          readonly=False, accept=None, **opts):
    hyper = hyper or {}
    make = (lambda: _problem(seed, scale)) if near is None else (lambda: _near_problem(seed, *near))

    def run(_):
        p, prob = make()
        got = _student_trajectory(student, p, prob, n, hyper, readonly)
        return got, _trajectory(reference, p, prob, n, hyper)

    def wrong(step):
        def f():
            p, prob = make()
            return _trajectory(step, p, prob, n, hyper)
        return f

    opts = {**TRAJECTORY, **opts}
    return Case(name, run, weight, {s: wrong(step) for s, step in mistakes.items()},
                accept={s: wrong(step) for s, step in (accept or {}).items()}, locate=_where, **opts)


def _cases(student, reference, mistakes, hyper, small_grad=False, defaults=None, accept=None, **opts):
    """First step (which also checks that params are not modified in place), five steps with the
    state carried over, the default hyper-parameters, and (small_grad) gradients of 1e-5."""
    defaults = defaults or {"seed": 3, "n": 3}
    same = {"accept": accept, **opts}
    cases = [_case("first step", student, reference, mistakes, seed=1, n=1, hyper=hyper, readonly=True, **same),
             _case("five consecutive steps (state carried over)", student, reference, mistakes, seed=2,
                   n=5, hyper=hyper, weight=2.0, **same),
             _case("default hyper-parameters" + (f", {defaults['n']} steps" if defaults["n"] > 5 else ""),
                   student, reference, mistakes, **defaults, **same)]
    if small_grad:
        cases.append(_case("very small gradients (1e-5 scale)", student, reference, mistakes, seed=4, n=6,
                           hyper=hyper, scale=1e-5, **same))
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


def _adagrad_eps_outside(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    G = {k: np.zeros_like(v) for k, v in params.items()} if state is None else state
    g = grad_fn(params)
    G = {k: G[k] + g[k] ** 2 for k in params}
    return {k: params[k] - lr / (np.sqrt(G[k]) + eps) * g[k] for k in params}, G


def _adadelta_slides_defaults(params, grad_fn, state=None, rho=0.9, eps=1e-6):
    return R.adadelta(params, grad_fn, state, rho, eps)


def _adadelta_eps_1e8(params, grad_fn, state=None, rho=0.95, eps=1e-8):
    return R.adadelta(params, grad_fn, state, rho, eps)


def _adadelta_theta_typo(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    """The slides' E[dtheta^2]_t = rho E[theta^2]_{t-1} + (1 - rho) dtheta_t^2, taken literally."""
    s = state or {"Eg2": {k: np.zeros_like(v) for k, v in params.items()},
                  "Edx2": {k: np.zeros_like(v) for k, v in params.items()}}
    g = grad_fn(params)
    Eg2 = {k: rho * s["Eg2"][k] + (1 - rho) * g[k] ** 2 for k in params}
    dx = {k: -np.sqrt(s["Edx2"][k] + eps) / np.sqrt(Eg2[k] + eps) * g[k] for k in params}
    Edx2 = {k: rho * params[k] ** 2 + (1 - rho) * dx[k] ** 2 for k in params}
    return {k: params[k] + dx[k] for k in params}, {"Eg2": Eg2, "Edx2": Edx2}


def _rmsprop_fixed_09(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    return R.rmsprop(params, grad_fn, state, lr, 0.9, eps)


def _rmsprop_eps_outside(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    E = {k: np.zeros_like(v) for k, v in params.items()} if state is None else state
    g = grad_fn(params)
    E = {k: gamma * E[k] + (1 - gamma) * g[k] ** 2 for k in params}
    return {k: params[k] - lr / (np.sqrt(E[k]) + eps) * g[k] for k in params}, E


def _adam_beta2(value, fixed=False):
    """Adam with beta2 = value as its default (fixed: whatever beta2 it is given)."""
    def step(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=value, eps=1e-8):
        return R.adam(params, grad_fn, state, lr, beta1, value if fixed else beta2, eps)
    return step


def _adam_efficient(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Kingma & Ba's efficient form with their eps_hat taken as eps: accepted as right."""
    s = state or {"t": 0, "m": {k: np.zeros_like(v) for k, v in params.items()},
                  "v": {k: np.zeros_like(v) for k, v in params.items()}}
    g = grad_fn(params)
    t = s["t"] + 1
    m = {k: beta1 * s["m"][k] + (1 - beta1) * g[k] for k in params}
    v = {k: beta2 * s["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
    alpha_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return {k: params[k] - alpha_t * m[k] / (np.sqrt(v[k]) + eps) for k in params}, {"t": t, "m": m, "v": v}


def _adam_only_m_corrected(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    s = state or {"t": 0, "m": {k: np.zeros_like(v) for k, v in params.items()},
                  "v": {k: np.zeros_like(v) for k, v in params.items()}}
    g = grad_fn(params)
    t = s["t"] + 1
    m = {k: beta1 * s["m"][k] + (1 - beta1) * g[k] for k in params}
    v = {k: beta2 * s["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
    return {k: params[k] - lr * (m[k] / (1 - beta1 ** t)) / (np.sqrt(v[k]) + eps) for k in params}, \
        {"t": t, "m": m, "v": v}


def _nesterov_plus(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = {k: np.zeros_like(x) for k, x in params.items()} if state is None else state
    g = grad_fn({k: params[k] + gamma * v[k] for k in params})
    v = {k: gamma * v[k] + lr * g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, v


def _state(params, *names):
    return {n: {k: np.zeros_like(v, dtype=float) for k, v in params.items()} for n in names}


def _momentum_ema(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = _state(params, "v")["v"] if state is None else state
    g = grad_fn(params)
    v = {k: gamma * v[k] + (1 - gamma) * lr * g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, v


def _nesterov_no_gamma(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = _state(params, "v")["v"] if state is None else state
    g = grad_fn({k: params[k] - v[k] for k in params})
    v = {k: gamma * v[k] + lr * g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, v


def _adagrad_no_sqrt(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    G = _state(params, "G")["G"] if state is None else state
    g = grad_fn(params)
    G = {k: G[k] + g[k] ** 2 for k in params}
    return {k: params[k] - lr / (G[k] + eps) * g[k] for k in params}, G


def _adadelta_variant(kind):
    def step(params, grad_fn, state=None, rho=0.95, eps=1e-6):
        s = state or _state(params, "Eg2", "Edx2")
        g = grad_fn(params)
        Eg2 = {k: rho * s["Eg2"][k] + (1 - rho) * g[k] ** 2 for k in params}
        if kind == "upside_down":
            dx = {k: -np.sqrt(Eg2[k] + eps) / np.sqrt(s["Edx2"][k] + eps) * g[k] for k in params}
        else:
            dx = {k: -np.sqrt(s["Edx2"][k] + eps) / np.sqrt(Eg2[k] + eps) * g[k] for k in params}
        Edx2 = {k: rho * s["Edx2"][k] + (1 - rho) * dx[k] ** 2 for k in params}
        if kind == "edx_kept":
            Edx2 = s["Edx2"]
        return {k: params[k] + dx[k] for k in params}, {"Eg2": Eg2, "Edx2": Edx2}
    return step


def _rmsprop_variant(kind):
    def step(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
        E = _state(params, "E")["E"] if state is None else state
        g = grad_fn(params)
        if kind == "swapped":
            E = {k: (1 - gamma) * E[k] + gamma * g[k] ** 2 for k in params}
        else:
            E = {k: gamma * E[k] + (1 - gamma) * g[k] ** 2 for k in params}
        den = (lambda x: x + eps) if kind == "no_sqrt" else (lambda x: np.sqrt(x + eps))
        return {k: params[k] - lr / den(E[k]) * g[k] for k in params}, E
    return step


def _adam_t(kind):
    """Adam whose step counter is wrong: "plus_one" corrects with t + 1, "stuck" always with t = 1,
    "swapped" corrects m with beta2^t and v with beta1^t."""
    def step(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        s = state or {"t": 0, **_state(params, "m", "v")}
        g = grad_fn(params)
        t = s["t"] + 1
        m = {k: beta1 * s["m"][k] + (1 - beta1) * g[k] for k in params}
        v = {k: beta2 * s["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
        tc = {"plus_one": t + 1, "stuck": 1}.get(kind, t)
        b1, b2 = (beta2, beta1) if kind == "swapped" else (beta1, beta2)
        new = {k: params[k] - lr * (m[k] / (1 - b1 ** tc)) / (np.sqrt(v[k] / (1 - b2 ** tc)) + eps) for k in params}
        return new, {"t": t, "m": m, "v": v}
    return step


ZERO_DIV = {"divide by zero": "on the first step the bias correction divided by 1 - beta^0 = 0: "
                              "increase t before using it, so that the first step has t = 1",
            "invalid value encountered in sqrt": "the square root of a negative number: v must average the "
                                                 "SQUARES of the gradients, beta2 v + (1 - beta2) g**2",
            "invalid value": "NaN appeared: check that t is 1 on the first step and that you take "
                             "the root of a non-negative quantity"}


def check_gradient_descent(fn):
    return run_check(A, "test_gradient_descent", "gradient_descent", fn, _cases(
        fn, R.gradient_descent, {"the step goes uphill: subtract lr * gradient":
                                 lambda p, g, s=None, lr=0.01: ({k: p[k] + lr * g(p)[k] for k in p}, s),
                                 "lr is missing: theta <- theta - lr * gradient":
                                 lambda p, g, s=None, lr=0.01: ({k: p[k] - g(p)[k] for k in p}, s),
                                 "lr is applied twice: theta <- theta - lr * gradient, not lr**2":
                                 lambda p, g, s=None, lr=0.01: ({k: p[k] - lr * lr * g(p)[k] for k in p}, s)},
        {"lr": 0.05}))


def check_momentum(fn):
    return run_check(A, "test_momentum", "momentum", fn, _cases(fn, R.momentum, {
        "the sign is wrong: theta <- theta - v": _momentum_sign,
        "lr is missing from the velocity: v = gamma v + lr g": _momentum_no_lr,
        "lr is applied twice: v = gamma v + lr g already contains it, so theta <- theta - v": _momentum_lr_twice,
        "the gradient is taken at the look-ahead point: that is NAG, not momentum": R.nesterov,
        "there is no momentum: the velocity must remember gamma times its previous value (return the new "
        "velocity as the state, and use the state you are given)":
            lambda p, g, s=None, lr=0.01, gamma=0.9: R.gradient_descent(p, g, None, lr),
        "(1 - gamma) scales the gradient: that is an exponential moving average (Adam's m), not momentum; "
        "v = gamma v + lr g": _momentum_ema,
    }, {"lr": 0.02, "gamma": 0.8}))


def check_nesterov(fn):
    return run_check(A, "test_nesterov", "nesterov", fn, _cases(fn, R.nesterov, {
        "the gradient is taken at theta: NAG takes it at the look-ahead point theta - gamma v": R.momentum,
        "the look-ahead point is theta - gamma v (where momentum carries theta), not theta + gamma v":
            _nesterov_plus,
        "gamma is missing from the look-ahead point: the gradient is taken at theta - gamma v, not theta - v":
            _nesterov_no_gamma,
    }, {"lr": 0.02, "gamma": 0.8}))


def check_adagrad(fn):
    return run_check(A, "test_adagrad", "adagrad", fn, _cases(fn, R.adagrad, {
        "G must accumulate the SQUARES of the gradients, not the gradients": _adagrad_sum_g,
        "this divides by the root of the current squared gradient only: Adagrad sums all past squares "
        "(carry G over in the state)":
            lambda p, g, s=None, lr=0.01, eps=1e-8: _rmsprop_current_only(p, g, s, lr, eps=eps),
        "eps goes inside the square root here: lr / sqrt(G + eps)": _adagrad_eps_outside,
        "the square root is missing: divide by sqrt(G + eps), not by G + eps": _adagrad_no_sqrt,
    }, {"lr": 0.1}, small_grad=True, on_error={
        "invalid value": "the square root of a negative number: G must accumulate the SQUARES of the gradients"}))


def check_adadelta(fn):
    return run_check(A, "test_adadelta", "adadelta", fn, _cases(fn, R.adadelta, {
        "the numerator uses RMS[dtheta]_t, which includes this step's update: use the previous "
        "step's RMS[dtheta]_{t-1}, then update E[dtheta^2]": _adadelta_current_rms,
        "the parameters never move: RMS[dtheta] = sqrt(E[dtheta^2] + eps) needs its eps, or it starts at 0 "
        "and stays there": _adadelta_no_eps_numerator,
        "the default rho is 0.95 (Zeiler 2012, as in the signature); the slides' 'gamma around 0.9' is "
        "not the default": _adadelta_slides_defaults,
        "the default eps is 1e-6 (Zeiler 2012, as in the signature), not 1e-8": _adadelta_eps_1e8,
        "E[dtheta^2] must decay its own previous value, rho E[dtheta^2]_{t-1} + (1 - rho) dtheta_t^2: the "
        "slides' E[theta^2]_{t-1} is a typo for E[dtheta^2]_{t-1}": _adadelta_theta_typo,
        "the ratio is upside down: the update is -RMS[dtheta]_{t-1} / RMS[g]_t * g, not RMS[g] / RMS[dtheta]":
            _adadelta_variant("upside_down"),
        "E[dtheta^2] is never updated (the state keeps the old one): after each step, E[dtheta^2] <- "
        "rho E[dtheta^2] + (1 - rho) dtheta^2": _adadelta_variant("edx_kept"),
    }, {"rho": 0.9, "eps": 1e-4}))


def check_rmsprop(fn):
    return run_check(A, "test_rmsprop", "rmsprop", fn, _cases(fn, R.rmsprop, {
        "E[g^2] is not decayed: it must be the running average gamma E + (1 - gamma) g^2 "
        "(this accumulates like Adagrad)": _rmsprop_no_decay,
        "there is no running average: E[g^2] must remember past gradients (gamma E + (1 - gamma) g^2)":
            _rmsprop_current_only,
        "gamma is ignored: the slides' 0.9 E + 0.1 g^2 is the case gamma = 0.9; use the gamma argument":
            _rmsprop_fixed_09,
        "eps goes inside the square root here: lr / sqrt(E[g^2] + eps)": _rmsprop_eps_outside,
        "the weights of the running average are swapped: E[g^2] <- gamma E[g^2] + (1 - gamma) g^2":
            _rmsprop_variant("swapped"),
        "the square root is missing: divide by sqrt(E[g^2] + eps), not by E[g^2] + eps": _rmsprop_variant("no_sqrt"),
    }, {"lr": 0.01, "gamma": 0.8}, small_grad=True))


def check_adam(fn):
    """The default-hyper-parameter case runs 100 steps on a steep problem: long enough for beta2 to matter."""
    return run_check(A, "test_adam", "adam", fn, _cases(fn, R.adam, {
        "no bias correction: divide m by (1 - beta1^t) and v by (1 - beta2^t)": _adam_variant(correct=False),
        "eps is inside the square root; the contract puts it outside: sqrt(v_hat) + eps":
            _adam_variant(eps_inside=True),
        "the default beta2 is 0.999 (Kingma & Ba, as in the signature): the slides' 0.9999 is a typo":
            _adam_beta2(0.9999),
        "beta2 is fixed at the slides' 0.9999 whatever beta2 is passed: use the beta2 argument":
            _adam_beta2(0.9999, fixed=True),
        "beta2 is ignored: use the beta2 argument (here 0.99), not a constant 0.999":
            _adam_beta2(0.999, fixed=True),
        "only m is bias-corrected: v needs its correction too, v_hat = v / (1 - beta2^t)": _adam_only_m_corrected,
        "the bias correction uses t + 1 (off by one): the first step has t = 1, so that it divides by 1 - beta":
            _adam_t("plus_one"),
        "t is never increased: the bias correction must use the step number t = 1, 2, 3, ... (store the new t "
        "in the state)": _adam_t("stuck"),
        "the bias corrections are swapped: m_hat = m / (1 - beta1^t) and v_hat = v / (1 - beta2^t)":
            _adam_t("swapped"),
    }, {"lr": 0.01, "beta1": 0.8, "beta2": 0.99}, small_grad=True, on_error=ZERO_DIV,
        defaults={"near": (20.0, 0.25), "seed": 3, "n": 100},
        accept={"Kingma & Ba's efficient form": _adam_efficient}))
