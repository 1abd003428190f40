"""New correct a3 variants (not in tests/files/fair/a3_optimizers.py)."""
import copy
from dataclasses import dataclass, field

import numpy as np


# ---- gradient_descent ----
def gd_iterate_grads(params, grad_fn, state=None, lr=0.01):
    """Iterates over the gradient dict; returns the state it got."""
    return {k: params[k] - lr * g for k, g in grad_fn(params).items()}, state


def gd_deepcopy_inplace(params, grad_fn, state=None, lr=0.01):
    new = copy.deepcopy(params)
    g = grad_fn(params)
    for k in new:
        new[k] -= lr * g[k]
    return new, {}


# ---- momentum ----
def momentum_scalar_init(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """v starts as the number 0.0 for every key (broadcasts on the first step)."""
    v = state if state is not None else {k: 0.0 for k in params}
    g = grad_fn(params)
    v = {k: gamma * v[k] + lr * g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, v


def momentum_heavy_ball(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """Polyak's heavy-ball form: theta_new = theta - lr g + gamma (theta - theta_prev); state = theta_prev.
    Algebraically v_{t-1} = theta_prev - theta."""
    prev = state if state is not None else params
    g = grad_fn(params)
    new = {k: params[k] - lr * g[k] + gamma * (params[k] - prev[k]) for k in params}
    return new, {k: np.array(v, dtype=float) for k, v in params.items()}


def momentum_state_inplace(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """Updates its own state arrays in place with out= (the state is its own business)."""
    if state is None:
        state = {"v": {k: np.zeros_like(p, dtype=float) for k, p in params.items()}}
    g = grad_fn(params)
    for k in params:
        np.multiply(state["v"][k], gamma, out=state["v"][k])
        state["v"][k] += lr * g[k]
    return {k: params[k] - state["v"][k] for k in params}, state


# ---- nesterov ----
def _momentum_core(params, grad_fn, state, lr, gamma, *, lookahead=False):
    v = state if state is not None else {k: np.zeros_like(p, dtype=float) for k, p in params.items()}
    at = {k: params[k] - gamma * v[k] for k in params} if lookahead else params
    g = grad_fn(at)
    v = {k: gamma * v[k] + lr * g[k] for k in params}
    return {k: params[k] - v[k] for k in params}, v


def nesterov_shared_helper(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """One helper with a keyword-only switch, shared with momentum."""
    return _momentum_core(params, grad_fn, state, lr, gamma, lookahead=True)


def nesterov_heavy_ball(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """State = previous params; v_{t-1} = theta_prev - theta."""
    prev = state if state is not None else params
    v = {k: prev[k] - params[k] for k in params}
    g = grad_fn({k: params[k] - gamma * v[k] for k in params})
    new = {k: params[k] - (gamma * v[k] + lr * g[k]) for k in params}
    return new, dict(params)


# ---- adagrad ----
def adagrad_setdefault(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    state = {} if state is None else state
    g = grad_fn(params)
    new = {}
    for k in params:
        G = state.setdefault(k, np.zeros(np.shape(params[k])))
        G += g[k] * g[k]
        new[k] = params[k] - lr * g[k] / np.sqrt(G + eps)
    return new, state


def adagrad_rsqrt(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    """reciprocal of sqrt, scalar 0 initial state."""
    G = state or {k: 0 for k in params}
    g = grad_fn(params)
    G = {k: G[k] + np.square(g[k]) for k in params}
    return {k: params[k] - lr * g[k] * np.reciprocal(np.sqrt(G[k] + eps)) for k in params}, G


# ---- adadelta ----
@dataclass
class AdadeltaState:
    Eg2: dict = field(default_factory=dict)
    Edx2: dict = field(default_factory=dict)


def adadelta_dataclass(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    """State as a dataclass; accumulators start as the number 0."""
    s = state if state is not None else AdadeltaState({k: 0.0 for k in params}, {k: 0.0 for k in params})
    g = grad_fn(params)
    new, Eg2, Edx2 = {}, {}, {}
    for k in params:
        Eg2[k] = rho * s.Eg2[k] + (1 - rho) * g[k] ** 2
        dx = -(np.sqrt(s.Edx2[k] + eps) / np.sqrt(Eg2[k] + eps)) * g[k]
        Edx2[k] = rho * s.Edx2[k] + (1 - rho) * dx ** 2
        new[k] = params[k] + dx
    return new, AdadeltaState(Eg2, Edx2)


def adadelta_nested_per_key(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    """state[k] = {'Eg2':..., 'Edx2':...}; RMS helper; update written as theta - (-dx)."""
    state = state or {k: {"Eg2": np.zeros_like(v, dtype=float), "Edx2": np.zeros_like(v, dtype=float)}
                      for k, v in params.items()}
    g = grad_fn(params)
    rms = lambda x: np.sqrt(x + eps)  # noqa: E731
    new, out = {}, {}
    for k in params:
        Eg2 = rho * state[k]["Eg2"] + (1 - rho) * g[k] ** 2
        step = rms(state[k]["Edx2"]) / rms(Eg2) * g[k]          # = -dtheta
        Edx2 = rho * state[k]["Edx2"] + (1 - rho) * step ** 2
        new[k] = params[k] - step
        out[k] = {"Eg2": Eg2, "Edx2": Edx2}
    return new, out


# ---- rmsprop ----
def rmsprop_power(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    E = state if state is not None else {k: 0.0 for k in params}
    g = grad_fn(params)
    E = {k: (1 - gamma) * g[k] ** 2 + gamma * E[k] for k in params}
    return {k: params[k] - lr * g[k] * np.power(E[k] + eps, -0.5) for k in params}, E


def rmsprop_tuple_state(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    keys = tuple(params)
    E = state if state is not None else tuple(np.zeros_like(params[k], dtype=float) for k in keys)
    g = grad_fn(params)
    E = tuple(gamma * e + (1 - gamma) * g[k] * g[k] for e, k in zip(E, keys))
    return {k: params[k] - lr / np.sqrt(e + eps) * g[k] for k, e in zip(keys, E)}, E


# ---- adam ----
def adam_incremental(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, *, amsgrad=False):
    """m += (1 - beta1)(g - m), v likewise; t as a numpy int; an unused keyword-only extra."""
    if state is None:
        state = {"t": np.int64(0), "m": {k: np.zeros_like(p, dtype=float) for k, p in params.items()},
                 "v": {k: np.zeros_like(p, dtype=float) for k, p in params.items()}}
    t = state["t"] + 1
    g = grad_fn(params)
    m = {k: state["m"][k] + (1 - beta1) * (g[k] - state["m"][k]) for k in params}
    v = {k: state["v"][k] + (1 - beta2) * (g[k] ** 2 - state["v"][k]) for k in params}
    new = {}
    for k in params:
        mhat = m[k] / (1 - np.power(beta1, t))
        vhat = v[k] / (1 - np.power(beta2, t))
        new[k] = params[k] - lr * mhat / (np.sqrt(vhat) + eps)
    return new, {"t": t, "m": m, "v": v}


def adam_float_t_list(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """State as a list [t (float), m, v]; scalar-zero moments."""
    t, m, v = state if state is not None else [0.0, {k: 0.0 for k in params}, {k: 0.0 for k in params}]
    t += 1.0
    g = grad_fn(params)
    m = {k: beta1 * m[k] + (1 - beta1) * g[k] for k in params}
    v = {k: beta2 * v[k] + (1 - beta2) * g[k] * g[k] for k in params}
    c1, c2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
    return {k: params[k] - lr * (m[k] / c1) / (np.sqrt(v[k] / c2) + eps) for k in params}, [t, m, v]


FAIR = [
    ("test_gradient_descent", (gd_iterate_grads,)),
    ("test_gradient_descent", (gd_deepcopy_inplace,)),
    ("test_momentum", (momentum_scalar_init,)),
    ("test_momentum", (momentum_heavy_ball,)),
    ("test_momentum", (momentum_state_inplace,)),
    ("test_nesterov", (nesterov_shared_helper,)),
    ("test_nesterov", (nesterov_heavy_ball,)),
    ("test_adagrad", (adagrad_setdefault,)),
    ("test_adagrad", (adagrad_rsqrt,)),
    ("test_adadelta", (adadelta_dataclass,)),
    ("test_adadelta", (adadelta_nested_per_key,)),
    ("test_rmsprop", (rmsprop_power,)),
    ("test_rmsprop", (rmsprop_tuple_state,)),
    ("test_adam", (adam_incremental,)),
    ("test_adam", (adam_float_t_list,)),
]
