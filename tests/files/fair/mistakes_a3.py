"""Wrong a3 optimizers as students write them (see mistakes_a1.py): the slides' typos and
defaults (Adam's beta2 = 0.9999, Adadelta's "gamma around 0.9" and E[theta^2], RMSprop's fixed
0.9 / 0.1), eps in the wrong place, and steps that change params in place."""
import numpy as np


def _zeros(params):
    return {k: np.zeros_like(v, dtype=float) for k, v in params.items()}


# ---- gradient_descent ----------------------------------------------------------------------------

def gd_uphill(params, grad_fn, state=None, lr=0.01):
    g = grad_fn(params)
    return {k: params[k] + lr * g[k] for k in params}, state


def gd_in_place(params, grad_fn, state=None, lr=0.01):
    g = grad_fn(params)
    for k in params:
        params[k] -= lr * g[k]
    return params, state


# ---- momentum ------------------------------------------------------------------------------------

def momentum_sign(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = state or _zeros(params)
    g = grad_fn(params)
    v = {k: gamma * v[k] + lr * g[k] for k in params}
    return {k: params[k] + v[k] for k in params}, v


def momentum_no_lr(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = state or _zeros(params)
    g = grad_fn(params)
    v = {k: gamma * v[k] + g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, v


def momentum_lr_twice(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = state or _zeros(params)
    g = grad_fn(params)
    v = {k: gamma * v[k] + lr * g[k] for k in params}
    return {k: params[k] - lr * v[k] for k in params}, v


def momentum_in_place(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = state or _zeros(params)
    g = grad_fn(params)
    for k in params:
        v[k] = gamma * v[k] + lr * g[k]
        params[k] -= v[k]
    return params, v


def momentum_forgets(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = _zeros(params)                       # the state it is given is never used
    g = grad_fn(params)
    v = {k: gamma * v[k] + lr * g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, v


# ---- nesterov ------------------------------------------------------------------------------------

def nesterov_at_theta(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = state or _zeros(params)
    g = grad_fn(params)
    v = {k: gamma * v[k] + lr * g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, v


def nesterov_plus(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = state or _zeros(params)
    g = grad_fn({k: params[k] + gamma * v[k] for k in params})
    v = {k: gamma * v[k] + lr * g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, v


def nesterov_in_place(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = state or _zeros(params)
    g = grad_fn({k: params[k] - gamma * v[k] for k in params})
    for k in params:
        v[k] = gamma * v[k] + lr * g[k]
        params[k] -= v[k]
    return params, v


# ---- adagrad -------------------------------------------------------------------------------------

def adagrad_sum_g(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    G = state or _zeros(params)
    g = grad_fn(params)
    G = {k: G[k] + g[k] for k in params}
    return {k: params[k] - lr / np.sqrt(G[k] + eps) * g[k] for k in params}, G


def adagrad_eps_outside(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    G = state or _zeros(params)
    g = grad_fn(params)
    G = {k: G[k] + g[k] ** 2 for k in params}
    return {k: params[k] - lr * g[k] / (np.sqrt(G[k]) + eps) for k in params}, G


def adagrad_current(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    g = grad_fn(params)
    return {k: params[k] - lr / np.sqrt(g[k] ** 2 + eps) * g[k] for k in params}, state


def adagrad_in_place(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    G = state or _zeros(params)
    g = grad_fn(params)
    for k in params:
        G[k] += g[k] ** 2
        params[k] -= lr / np.sqrt(G[k] + eps) * g[k]
    return params, G


# ---- adadelta ------------------------------------------------------------------------------------

def _adadelta(params, grad_fn, state, rho, eps, typo=False, current=False, eps_top=True):
    s = state or {"Eg2": _zeros(params), "Edx2": _zeros(params)}
    g = grad_fn(params)
    Eg2 = {k: rho * s["Eg2"][k] + (1 - rho) * g[k] ** 2 for k in params}
    top = {k: np.sqrt(s["Edx2"][k] + (eps if eps_top else 0.0)) for k in params}
    dx = {k: -top[k] / np.sqrt(Eg2[k] + eps) * g[k] for k in params}
    Edx2 = {k: rho * (params[k] ** 2 if typo else s["Edx2"][k]) + (1 - rho) * dx[k] ** 2 for k in params}
    if current:
        dx = {k: -np.sqrt(Edx2[k] + eps) / np.sqrt(Eg2[k] + eps) * g[k] for k in params}
    return {k: params[k] + dx[k] for k in params}, {"Eg2": Eg2, "Edx2": Edx2}


def adadelta_slides_rho(params, grad_fn, state=None, rho=0.9, eps=1e-6):
    return _adadelta(params, grad_fn, state, rho, eps)


def adadelta_eps_1e8(params, grad_fn, state=None, rho=0.95, eps=1e-8):
    return _adadelta(params, grad_fn, state, rho, eps)


def adadelta_theta_typo(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    return _adadelta(params, grad_fn, state, rho, eps, typo=True)


def adadelta_current_rms(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    return _adadelta(params, grad_fn, state, rho, eps, current=True)


def adadelta_no_eps_on_top(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    return _adadelta(params, grad_fn, state, rho, eps, eps_top=False)


# ---- rmsprop -------------------------------------------------------------------------------------

def rmsprop_slides(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    E = state or _zeros(params)
    g = grad_fn(params)
    E = {k: 0.9 * E[k] + 0.1 * g[k] ** 2 for k in params}
    return {k: params[k] - lr / np.sqrt(E[k] + eps) * g[k] for k in params}, E


def rmsprop_no_decay(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    E = state or _zeros(params)
    g = grad_fn(params)
    E = {k: E[k] + g[k] ** 2 for k in params}
    return {k: params[k] - lr / np.sqrt(E[k] + eps) * g[k] for k in params}, E


def rmsprop_eps_outside(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    E = state or _zeros(params)
    g = grad_fn(params)
    E = {k: gamma * E[k] + (1 - gamma) * g[k] ** 2 for k in params}
    return {k: params[k] - lr * g[k] / (np.sqrt(E[k]) + eps) for k in params}, E


def rmsprop_current(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    g = grad_fn(params)
    return {k: params[k] - lr / np.sqrt(g[k] ** 2 + eps) * g[k] for k in params}, None


# ---- adam ----------------------------------------------------------------------------------------

def _adam(params, grad_fn, state, lr, beta1, beta2, eps, correct_v=True, correct_m=True, eps_inside=False,
          t_from_zero=False):
    s = state or {"t": 0, "m": _zeros(params), "v": _zeros(params)}
    g = grad_fn(params)
    t = s["t"] if t_from_zero else s["t"] + 1
    m = {k: beta1 * s["m"][k] + (1 - beta1) * g[k] for k in params}
    v = {k: beta2 * s["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
    new = {}
    for k in params:
        mh = m[k] / (1 - beta1 ** t) if correct_m else m[k]
        vh = v[k] / (1 - beta2 ** t) if correct_v else v[k]
        new[k] = params[k] - lr * mh / (np.sqrt(vh + eps) if eps_inside else np.sqrt(vh) + eps)
    return new, {"t": t + 1 if t_from_zero else t, "m": m, "v": v}


def adam_slides_beta2(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.9999, eps=1e-8):
    return _adam(params, grad_fn, state, lr, beta1, beta2, eps)


def adam_fixed_beta2(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(params, grad_fn, state, lr, beta1, 0.9999, eps)


def adam_uncorrected(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(params, grad_fn, state, lr, beta1, beta2, eps, correct_m=False, correct_v=False)


def adam_only_m(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(params, grad_fn, state, lr, beta1, beta2, eps, correct_v=False)


def adam_eps_inside(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(params, grad_fn, state, lr, beta1, beta2, eps, eps_inside=True)


def adam_t_from_zero(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(params, grad_fn, state, lr, beta1, beta2, eps, t_from_zero=True)


def adam_in_place(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    new, s = _adam(params, grad_fn, state, lr, beta1, beta2, eps)
    for k in params:
        params[k][...] = new[k]
    return params, s


# ---- from the fairness review (each named by its own diagnosis) ----------------------------------

def _z(params):
    return {k: np.zeros_like(v, dtype=float) for k, v in params.items()}


def gd_alias_dict(params, grad_fn, state=None, lr=0.01):
    """new = params (an alias, not a copy), then entries reassigned: the caller's dict changes."""
    new = params
    g = grad_fn(params)
    for k in new:
        new[k] = new[k] - lr * g[k]
    return new, state


def gd_lr_squared(params, grad_fn, state=None, lr=0.01):
    return {k: params[k] - lr * lr * g for k, g in grad_fn(params).items()}, state


def momentum_ema(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """v = gamma v + (1 - gamma) lr g: Adam's m confused with momentum."""
    v = state or _z(params)
    g = grad_fn(params)
    v = {k: gamma * v[k] + (1 - gamma) * lr * g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, v


def momentum_state_not_returned(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """Returns the OLD state: the velocity never accumulates past one step."""
    v0 = state or _z(params)
    g = grad_fn(params)
    v = {k: gamma * v0[k] + lr * g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, state


def nesterov_no_gamma(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """Look-ahead at theta - v (gamma forgotten)."""
    v = state or _z(params)
    g = grad_fn({k: params[k] - v[k] for k in params})
    v = {k: gamma * v[k] + lr * g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, v


def nesterov_sutskever_ahead(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """Look-ahead with the sign convention v = gamma v - lr g but still theta - gamma v."""
    v = state or _z(params)
    g = grad_fn({k: params[k] - gamma * v[k] for k in params})
    v = {k: gamma * v[k] - lr * g[k] for k in params}
    return {k: params[k] + v[k] for k in params}, v


def adagrad_no_sqrt(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    G = state or _z(params)
    g = grad_fn(params)
    G = {k: G[k] + g[k] ** 2 for k in params}
    return {k: params[k] - lr / (G[k] + eps) * g[k] for k in params}, G


def adagrad_reset_each_step(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    """Ignores the state it is given (always starts G from 0)."""
    G = _z(params)
    g = grad_fn(params)
    G = {k: G[k] + g[k] ** 2 for k in params}
    return {k: params[k] - lr / np.sqrt(G[k] + eps) * g[k] for k in params}, G


def adadelta_swapped_ratio(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    """RMS[g] / RMS[dx] instead of RMS[dx] / RMS[g]."""
    s = state or {"Eg2": _z(params), "Edx2": _z(params)}
    g = grad_fn(params)
    Eg2 = {k: rho * s["Eg2"][k] + (1 - rho) * g[k] ** 2 for k in params}
    dx = {k: -np.sqrt(Eg2[k] + eps) / np.sqrt(s["Edx2"][k] + eps) * g[k] for k in params}
    Edx2 = {k: rho * s["Edx2"][k] + (1 - rho) * dx[k] ** 2 for k in params}
    return {k: params[k] + dx[k] for k in params}, {"Eg2": Eg2, "Edx2": Edx2}


def adadelta_edx_never_updated(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    """E[dx^2] is computed but the old one is returned in the state."""
    s = state or {"Eg2": _z(params), "Edx2": _z(params)}
    g = grad_fn(params)
    Eg2 = {k: rho * s["Eg2"][k] + (1 - rho) * g[k] ** 2 for k in params}
    dx = {k: -np.sqrt(s["Edx2"][k] + eps) / np.sqrt(Eg2[k] + eps) * g[k] for k in params}
    return {k: params[k] + dx[k] for k in params}, {"Eg2": Eg2, "Edx2": s["Edx2"]}


def rmsprop_swapped_weights(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    """(1 - gamma) E + gamma g^2: the weights swapped."""
    E = state or _z(params)
    g = grad_fn(params)
    E = {k: (1 - gamma) * E[k] + gamma * g[k] ** 2 for k in params}
    return {k: params[k] - lr / np.sqrt(E[k] + eps) * g[k] for k in params}, E


def rmsprop_sqrt_missing(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    E = state or _z(params)
    g = grad_fn(params)
    E = {k: gamma * E[k] + (1 - gamma) * g[k] ** 2 for k in params}
    return {k: params[k] - lr / (E[k] + eps) * g[k] for k in params}, E


def _adam_kind(params, grad_fn, state, lr, beta1, beta2, eps, kind):
    s = state or {"t": 0, "m": _z(params), "v": _z(params)}
    g = grad_fn(params)
    t = s["t"] + 1
    m = {k: beta1 * s["m"][k] + (1 - beta1) * g[k] for k in params}
    if kind == "v_not_squared":
        v = {k: beta2 * s["v"][k] + (1 - beta2) * g[k] for k in params}
    else:
        v = {k: beta2 * s["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
    tc = t + 1 if kind == "t_plus_one" else t
    b1, b2 = (beta2, beta1) if kind == "swapped_corrections" else (beta1, beta2)
    new = {}
    for k in params:
        mh, vh = m[k] / (1 - b1 ** tc), v[k] / (1 - b2 ** tc)
        new[k] = params[k] - lr * mh / (np.sqrt(vh) + eps)
    return new, {"t": t, "m": m, "v": v}


def adam_t_plus_one(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Increments t, then corrects with t + 1 again (off by one: the first step uses t = 2)."""
    return _adam_kind(params, grad_fn, state, lr, beta1, beta2, eps, "t_plus_one")


def adam_v_not_squared(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam_kind(params, grad_fn, state, lr, beta1, beta2, eps, "v_not_squared")


def adam_swapped_corrections(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """m corrected with beta2^t and v with beta1^t."""
    return _adam_kind(params, grad_fn, state, lr, beta1, beta2, eps, "swapped_corrections")


def adam_t_not_incremented(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Starts t at 1 but never stores the increment: every step corrects with t = 1."""
    s = state or {"t": 1, "m": _z(params), "v": _z(params)}
    g = grad_fn(params)
    t = s["t"]
    m = {k: beta1 * s["m"][k] + (1 - beta1) * g[k] for k in params}
    v = {k: beta2 * s["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
    new = {k: params[k] - lr * (m[k] / (1 - beta1 ** t)) / (np.sqrt(v[k] / (1 - beta2 ** t)) + eps) for k in params}
    return new, {"t": t, "m": m, "v": v}


MISTAKES = [
    ("test_gradient_descent", (gd_uphill,), "the step goes uphill"),
    ("test_gradient_descent", (gd_in_place,), "in place"),
    ("test_momentum", (momentum_sign,), "the sign is wrong"),
    ("test_momentum", (momentum_no_lr,), "lr is missing from the velocity"),
    ("test_momentum", (momentum_lr_twice,), "lr is applied twice"),
    ("test_momentum", (momentum_in_place,), "in place"),
    ("test_momentum", (momentum_forgets,), "there is no momentum"),
    ("test_nesterov", (nesterov_at_theta,), "NAG takes it at the look-ahead point"),
    ("test_nesterov", (nesterov_plus,), "not theta + gamma v"),
    ("test_nesterov", (nesterov_in_place,), "in place"),
    ("test_adagrad", (adagrad_sum_g,), "SQUARES of the gradients"),
    ("test_adagrad", (adagrad_eps_outside,), "eps goes inside the square root"),
    ("test_adagrad", (adagrad_current,), "Adagrad sums all past squares"),
    ("test_adagrad", (adagrad_in_place,), "in place"),
    ("test_adadelta", (adadelta_slides_rho,), "the default rho is 0.95"),
    ("test_adadelta", (adadelta_eps_1e8,), "the default eps is 1e-6"),
    ("test_adadelta", (adadelta_theta_typo,), "is a typo for E[dtheta^2]"),
    ("test_adadelta", (adadelta_current_rms,), "RMS[dtheta]_{t-1}"),
    ("test_adadelta", (adadelta_no_eps_on_top,), "the parameters never move"),
    ("test_rmsprop", (rmsprop_slides,), "gamma is ignored"),
    ("test_rmsprop", (rmsprop_no_decay,), "is not decayed"),
    ("test_rmsprop", (rmsprop_eps_outside,), "eps goes inside the square root"),
    ("test_rmsprop", (rmsprop_current,), "there is no running average"),
    ("test_adam", (adam_slides_beta2,), "the slides' 0.9999 is a typo"),
    ("test_adam", (adam_fixed_beta2,), "whatever beta2 is passed"),
    ("test_adam", (adam_uncorrected,), "no bias correction"),
    ("test_adam", (adam_only_m,), "only m is bias-corrected"),
    ("test_adam", (adam_eps_inside,), "eps is inside the square root"),
    ("test_adam", (adam_t_from_zero,), "1 - beta^0 = 0"),
    ("test_adam", (adam_in_place,), "in place"),
    ('test_gradient_descent', (gd_alias_dict,), 'changed params in place'),
    ('test_gradient_descent', (gd_lr_squared,), 'not lr**2'),
    ('test_momentum', (momentum_ema,), 'that is an exponential moving average'),
    ('test_momentum', (momentum_state_not_returned,), 'there is no momentum'),
    ('test_nesterov', (nesterov_no_gamma,), 'gamma is missing from the look-ahead point'),
    ('test_nesterov', (nesterov_sutskever_ahead,), 'not theta + gamma v'),
    ('test_adagrad', (adagrad_no_sqrt,), 'divide by sqrt(G + eps), not by G + eps'),
    ('test_adagrad', (adagrad_reset_each_step,), 'carry G over in the state'),
    ('test_adadelta', (adadelta_swapped_ratio,), 'the ratio is upside down'),
    ('test_adadelta', (adadelta_edx_never_updated,), 'E[dtheta^2] is never updated'),
    ('test_rmsprop', (rmsprop_swapped_weights,), 'the weights of the running average are swapped'),
    ('test_rmsprop', (rmsprop_sqrt_missing,), 'divide by sqrt(E[g^2] + eps), not by E[g^2] + eps'),
    ('test_adam', (adam_t_plus_one,), 'uses t + 1 (off by one)'),
    ('test_adam', (adam_v_not_squared,), 'v must average the SQUARES of the gradients'),
    ('test_adam', (adam_swapped_corrections,), 'the bias corrections are swapped'),
    ('test_adam', (adam_t_not_incremented,), 't is never increased'),
]
