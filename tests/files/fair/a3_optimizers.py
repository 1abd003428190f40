"""Correct a3 optimizers written the way students write them (see a1_losses.py).

The state's form is the student's choice (the notebook: "Its contents are up to you"), so
several use tuples, lists, float32 arrays or keep beta^t instead of t.
"""
import math

import numpy as np


def _zeros(params, dtype=float):
    return {k: np.zeros(np.shape(v), dtype=dtype) for k, v in params.items()}


# ---- gradient_descent ----------------------------------------------------------------------------

def gd_copy(params, grad_fn, state=None, lr=0.01):
    new = {k: np.array(v, dtype=float) for k, v in params.items()}
    g = grad_fn(params)
    for k in new:
        new[k] -= lr * g[k]
    return new, {"t": (state or {"t": 0})["t"] + 1}


def gd_float32(params, grad_fn, state=None, lr=0.01):
    g = grad_fn(params)
    return {k: (v.astype(np.float32) - np.float32(lr) * g[k].astype(np.float32)) for k, v in params.items()}, None


def gd_loop(params, grad_fn, state=None, lr=0.01):
    g = grad_fn(params)
    new = {}
    for k, v in params.items():
        flat = [x - lr * d for x, d in zip(np.ravel(v).tolist(), np.ravel(g[k]).tolist())]
        new[k] = np.array(flat).reshape(np.shape(v))
    return new, state


# ---- momentum ------------------------------------------------------------------------------------

def momentum_negative_v(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """The other sign convention: v = gamma v - lr g, theta <- theta + v (the same trajectory)."""
    v = state if state is not None else _zeros(params)
    g = grad_fn(params)
    v = {k: gamma * v[k] - lr * g[k] for k in params}
    return {k: params[k] + v[k] for k in params}, v


def momentum_float32(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """Velocity kept in float32 (the docstring does not ask for float64)."""
    v = state if state is not None else _zeros(params, np.float32)
    g = grad_fn(params)
    v = {k: (np.float32(gamma) * v[k] + np.float32(lr) * g[k].astype(np.float32)) for k in params}
    return {k: params[k] - v[k] for k in params}, v


def momentum_tuple_state(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """State as a (step count, list of velocities in key order) tuple."""
    keys = sorted(params)
    t, vs = state if state is not None else (0, [np.zeros_like(params[k], dtype=float) for k in keys])
    g = grad_fn(params)
    vs = [gamma * v + lr * g[k] for v, k in zip(vs, keys)]
    return {k: params[k] - v for k, v in zip(keys, vs)}, (t + 1, vs)


def momentum_pytorch(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """PyTorch's convention: v = gamma v + g, theta <- theta - lr v (the same trajectory for a fixed lr)."""
    v = state if state is not None else _zeros(params)
    g = grad_fn(params)
    v = {k: gamma * v[k] + g[k] for k in params}
    return {k: params[k] - lr * v[k] for k in params}, v


# ---- nesterov ------------------------------------------------------------------------------------

def nesterov_negative_v(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = state if state is not None else _zeros(params)
    g = grad_fn({k: params[k] + gamma * v[k] for k in params})
    v = {k: gamma * v[k] - lr * g[k] for k in params}
    return {k: params[k] + v[k] for k in params}, v


def nesterov_float32(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    v = state if state is not None else _zeros(params, np.float32)
    ahead = {k: (params[k] - gamma * v[k]).astype(np.float32) for k in params}
    g = grad_fn(ahead)
    v = {k: np.float32(gamma) * v[k] + np.float32(lr) * np.asarray(g[k], np.float32) for k in params}
    return {k: (params[k] - v[k]).astype(np.float32) for k in params}, v


def nesterov_copy(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """Builds the look-ahead point from copies and updates the copies in place."""
    v = {k: np.array(x) for k, x in (state or _zeros(params)).items()}
    ahead = {k: np.array(p, dtype=float) for k, p in params.items()}
    for k in ahead:
        ahead[k] -= gamma * v[k]
    g = grad_fn(ahead)
    new = {k: np.array(p, dtype=float) for k, p in params.items()}
    for k in v:
        v[k] *= gamma
        v[k] += lr * g[k]
        new[k] -= v[k]
    return new, v


# ---- adagrad -------------------------------------------------------------------------------------

def adagrad_float32(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    G = state if state is not None else _zeros(params, np.float32)
    g = grad_fn(params)
    G = {k: G[k] + np.square(g[k].astype(np.float32)) for k in params}
    return {k: params[k] - np.float32(lr) * g[k].astype(np.float32) / np.sqrt(G[k] + np.float32(eps))
            for k in params}, G


def adagrad_power(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    """(G + eps) ** -0.5, and a state that also counts the steps."""
    s = state or {"t": 0, "G": _zeros(params)}
    g = grad_fn(params)
    G = {k: s["G"][k] + g[k] * g[k] for k in params}
    return {k: params[k] - lr * g[k] * (G[k] + eps) ** -0.5 for k in params}, {"t": s["t"] + 1, "G": G}


def adagrad_list_state(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    keys = list(params)
    G = state if state is not None else [0.0 for _ in keys]
    g = grad_fn(params)
    G = [Gk + g[k] ** 2 for Gk, k in zip(G, keys)]
    return {k: params[k] - lr / np.sqrt(Gk + eps) * g[k] for k, Gk in zip(keys, G)}, G


# ---- adadelta ------------------------------------------------------------------------------------

def _rms(x, eps):
    return np.sqrt(x + eps)


def adadelta_helpers(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    """RMS as a helper; state as a tuple (E[g^2], E[dx^2])."""
    Eg2, Edx2 = state if state is not None else (_zeros(params), _zeros(params))
    g = grad_fn(params)
    Eg2 = {k: rho * Eg2[k] + (1 - rho) * g[k] ** 2 for k in params}
    dx = {k: -_rms(Edx2[k], eps) / _rms(Eg2[k], eps) * g[k] for k in params}
    Edx2 = {k: rho * Edx2[k] + (1 - rho) * dx[k] ** 2 for k in params}
    return {k: params[k] + dx[k] for k in params}, (Eg2, Edx2)


def adadelta_float32(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    s = state or {"Eg2": _zeros(params, np.float32), "Edx2": _zeros(params, np.float32)}
    g = {k: np.asarray(v, np.float32) for k, v in grad_fn(params).items()}
    r, e = np.float32(rho), np.float32(eps)
    Eg2 = {k: r * s["Eg2"][k] + (1 - r) * g[k] ** 2 for k in params}
    dx = {k: -np.sqrt((s["Edx2"][k] + e) / (Eg2[k] + e)) * g[k] for k in params}
    Edx2 = {k: r * s["Edx2"][k] + (1 - r) * dx[k] ** 2 for k in params}
    return {k: params[k] + dx[k] for k in params}, {"Eg2": Eg2, "Edx2": Edx2}


def adadelta_per_key(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    """One key at a time, with the running averages written as E += (1 - rho) (x - E)."""
    s = state if state is not None else {k: (np.zeros_like(v, dtype=float), np.zeros_like(v, dtype=float))
                                         for k, v in params.items()}
    g = grad_fn(params)
    new, new_state = {}, {}
    for k in params:
        eg, ed = s[k]
        eg = eg + (1 - rho) * (g[k] ** 2 - eg)
        dx = -math.sqrt(1.0) * np.sqrt(ed + eps) / np.sqrt(eg + eps) * g[k]
        ed = ed + (1 - rho) * (dx ** 2 - ed)
        new[k], new_state[k] = params[k] + dx, (eg, ed)
    return new, new_state


# ---- rmsprop -------------------------------------------------------------------------------------

def rmsprop_float32(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    E = state if state is not None else _zeros(params, np.float32)
    g = grad_fn(params)
    E = {k: np.float32(gamma) * E[k] + np.float32(1 - gamma) * np.square(g[k]).astype(np.float32) for k in params}
    return {k: params[k] - lr * g[k] / np.sqrt(E[k] + np.float32(eps)) for k in params}, E


def rmsprop_incremental(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    """E += (1 - gamma) (g^2 - E): the same running average, written as a correction."""
    E = dict(state) if state is not None else _zeros(params)
    g = grad_fn(params)
    for k in params:
        E[k] = E[k] + (1 - gamma) * (g[k] ** 2 - E[k])
    return {k: params[k] - lr * g[k] / np.sqrt(E[k] + eps) for k in params}, E


def rmsprop_state_t(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    s = state or {"t": 0, "Eg2": _zeros(params)}
    g = grad_fn(params)
    Eg2 = {k: gamma * s["Eg2"][k] + (1 - gamma) * g[k] * g[k] for k in params}
    return {k: params[k] - lr / (Eg2[k] + eps) ** 0.5 * g[k] for k in params}, {"t": s["t"] + 1, "Eg2": Eg2}


# ---- adam ----------------------------------------------------------------------------------------

def adam_efficient(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Kingma & Ba's 'efficient' form (end of their section 2): alpha_t = lr sqrt(1 - beta2^t) / (1 - beta1^t),
    theta <- theta - alpha_t m / (sqrt(v) + eps_hat), with eps_hat = eps as the paper's text reads."""
    s = state or {"t": 0, "m": _zeros(params), "v": _zeros(params)}
    g = grad_fn(params)
    t = s["t"] + 1
    m = {k: beta1 * s["m"][k] + (1 - beta1) * g[k] for k in params}
    v = {k: beta2 * s["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
    alpha_t = lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return {k: params[k] - alpha_t * m[k] / (np.sqrt(v[k]) + eps) for k in params}, {"t": t, "m": m, "v": v}


def adam_efficient_exact(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """The efficient form with eps_hat = eps sqrt(1 - beta2^t): algebraically Algorithm 1."""
    s = state or {"t": 0, "m": _zeros(params), "v": _zeros(params)}
    g = grad_fn(params)
    t = s["t"] + 1
    m = {k: beta1 * s["m"][k] + (1 - beta1) * g[k] for k in params}
    v = {k: beta2 * s["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
    alpha_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    eps_hat = eps * np.sqrt(1 - beta2 ** t)
    return {k: params[k] - alpha_t * m[k] / (np.sqrt(v[k]) + eps_hat) for k in params}, {"t": t, "m": m, "v": v}


def adam_float32(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Moments in float32."""
    s = state or {"t": 0, "m": _zeros(params, np.float32), "v": _zeros(params, np.float32)}
    g = {k: np.asarray(x, np.float32) for k, x in grad_fn(params).items()}
    t = s["t"] + 1
    b1, b2 = np.float32(beta1), np.float32(beta2)
    m = {k: b1 * s["m"][k] + (1 - b1) * g[k] for k in params}
    v = {k: b2 * s["v"][k] + (1 - b2) * g[k] * g[k] for k in params}
    new = {k: params[k] - lr * (m[k] / (1 - beta1 ** t)) / (np.sqrt(v[k] / (1 - beta2 ** t)) + eps) for k in params}
    return new, {"t": t, "m": m, "v": v}


def adam_powers(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Keeps beta1^t and beta2^t in the state instead of t."""
    if state is None:
        state = (1.0, 1.0, _zeros(params), _zeros(params))
    p1, p2, m, v = state
    p1, p2 = p1 * beta1, p2 * beta2
    g = grad_fn(params)
    m = {k: beta1 * m[k] + (1 - beta1) * g[k] for k in params}
    v = {k: beta2 * v[k] + (1 - beta2) * np.square(g[k]) for k in params}
    mh = {k: m[k] / (1 - p1) for k in params}
    vh = {k: v[k] / (1 - p2) for k in params}
    return {k: params[k] - lr * mh[k] / (np.sqrt(vh[k]) + eps) for k in params}, (p1, p2, m, v)


FAIR = [
    ("test_gradient_descent", (gd_copy,)),
    ("test_gradient_descent", (gd_float32,)),
    ("test_gradient_descent", (gd_loop,)),
    ("test_momentum", (momentum_negative_v,)),
    ("test_momentum", (momentum_float32,)),
    ("test_momentum", (momentum_tuple_state,)),
    ("test_momentum", (momentum_pytorch,)),
    ("test_nesterov", (nesterov_negative_v,)),
    ("test_nesterov", (nesterov_float32,)),
    ("test_nesterov", (nesterov_copy,)),
    ("test_adagrad", (adagrad_float32,)),
    ("test_adagrad", (adagrad_power,)),
    ("test_adagrad", (adagrad_list_state,)),
    ("test_adadelta", (adadelta_helpers,)),
    ("test_adadelta", (adadelta_float32,)),
    ("test_adadelta", (adadelta_per_key,)),
    ("test_rmsprop", (rmsprop_float32,)),
    ("test_rmsprop", (rmsprop_incremental,)),
    ("test_rmsprop", (rmsprop_state_t,)),
    ("test_adam", (adam_efficient,)),
    ("test_adam", (adam_efficient_exact,)),
    ("test_adam", (adam_float32,)),
    ("test_adam", (adam_powers,)),
]
