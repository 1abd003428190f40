r"""First-order optimizers, one step at a time (lecture part 3, 关于学习率的优化).

Shared interface (every optimizer here follows it)::

    new_params, new_state = step(params, grad_fn, state=None, **hyper)

- params: dict name -> float array (a whole network's parameters).
- grad_fn: callable, grad_fn(params) -> dict of gradients with the same keys
  and shapes. The optimizer decides *where* to evaluate it: NAG evaluates it at
  the look-ahead point, every other method at `params`. Each step calls it once.
- state: what the method remembers between steps; None before the first step.
  It always holds "t", the number of steps taken so far (0 before the first).
  The returned state is new; neither `params` nor `state` is modified.

Notation follows the lecture: lr is alpha, g_t the gradient at step t, and all
operations on arrays are elementwise. Defaults come from the original papers
(or, for RMSprop, Hinton's lecture), not from the slides where they differ.
"""
import numpy as np

from ._inputs import as_float_array


def _params(params):
    if not isinstance(params, dict) or not params:
        raise TypeError("params must be a non-empty dict of named arrays")
    return {k: as_float_array(v, f"params[{k!r}]") for k, v in params.items()}


def _grads(grad_fn, at, names):
    g = grad_fn({k: v.copy() for k, v in at.items()})
    if not isinstance(g, dict) or set(g) != set(names):
        got = sorted(g) if isinstance(g, dict) else type(g).__name__
        raise ValueError(f"grad_fn must return a dict with keys {sorted(names)}; got {got}")
    out = {}
    for k in names:
        out[k] = as_float_array(g[k], f"gradient {k!r}")
        if out[k].shape != at[k].shape:
            raise ValueError(f"gradient {k!r} has shape {out[k].shape}; parameter has {at[k].shape}")
    return out


def _init(state, params, *buffers):
    """A copy of `state`, or a fresh one with zero buffers, after checking it fits params."""
    if state is None:
        return {"t": 0, **{b: {k: np.zeros_like(v) for k, v in params.items()} for b in buffers}}
    new = {"t": int(state["t"])}
    for b in buffers:
        if b not in state or set(state[b]) != set(params):
            raise ValueError(f"state[{b!r}] does not match params; start from state=None")
        new[b] = {k: np.array(state[b][k], dtype=np.float64) for k in params}
    return new


def gradient_descent(params, grad_fn, state=None, lr=0.01):
    r"""Gradient descent: theta <- theta - lr * g_t."""
    p = _params(params)
    s = _init(state, p)
    g = _grads(grad_fn, p, p)
    s["t"] += 1
    return {k: p[k] - lr * g[k] for k in p}, s


def momentum(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    r"""Momentum: v_t = gamma v_{t-1} + lr g_t;  theta <- theta - v_t.

    state["v"]: the velocity, zeros before the first step. gamma = 0.9 is the
    usual choice (Sutskever et al. 2013 use up to 0.99); the slides' "gamma < 0.9"
    is not a rule.
    """
    p = _params(params)
    s = _init(state, p, "v")
    g = _grads(grad_fn, p, p)
    for k in p:
        s["v"][k] = gamma * s["v"][k] + lr * g[k]
    s["t"] += 1
    return {k: p[k] - s["v"][k] for k in p}, s


def nesterov(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    r"""Nesterov accelerated gradient (NAG), in the lecture's form:

    v_t = gamma v_{t-1} + lr * grad J(theta - gamma v_{t-1});  theta <- theta - v_t.

    The gradient is taken at the look-ahead point theta - gamma v_{t-1}, where
    momentum alone would carry the parameters. state["v"] as in `momentum`.
    """
    p = _params(params)
    s = _init(state, p, "v")
    g = _grads(grad_fn, {k: p[k] - gamma * s["v"][k] for k in p}, p)
    for k in p:
        s["v"][k] = gamma * s["v"][k] + lr * g[k]
    s["t"] += 1
    return {k: p[k] - s["v"][k] for k in p}, s


def adagrad(params, grad_fn, state=None, lr=0.01, eps=1e-8):
    r"""Adagrad (Duchi et al. 2011): G_t = G_{t-1} + g_t^2;  theta <- theta - lr / sqrt(G_t + eps) * g_t.

    state["G"]: the running *sum of squared* gradients (the diagonal of the
    lecture's G_t). eps sits inside the square root, as on the slides.
    """
    p = _params(params)
    s = _init(state, p, "G")
    g = _grads(grad_fn, p, p)
    for k in p:
        s["G"][k] = s["G"][k] + g[k] ** 2
    s["t"] += 1
    return {k: p[k] - lr / np.sqrt(s["G"][k] + eps) * g[k] for k in p}, s


def adadelta(params, grad_fn, state=None, rho=0.95, eps=1e-6):
    r"""Adadelta (Zeiler 2012, Algorithm 1). No learning rate.

    E[g^2]_t   = rho E[g^2]_{t-1} + (1 - rho) g_t^2
    dtheta_t   = - RMS[dtheta]_{t-1} / RMS[g]_t * g_t,   RMS[x] = sqrt(E[x^2] + eps)
    E[dx^2]_t  = rho E[dx^2]_{t-1} + (1 - rho) dtheta_t^2
    theta     <- theta + dtheta_t

    The numerator uses the *previous* step's RMS[dtheta] (the current one is not
    known yet), which gives the update the units of theta. state["Eg2"], state["Edx2"].
    The slides call rho gamma and write E[theta^2]_{t-1} where E[dtheta^2]_{t-1} is meant.
    """
    p = _params(params)
    s = _init(state, p, "Eg2", "Edx2")
    g = _grads(grad_fn, p, p)
    new = {}
    for k in p:
        s["Eg2"][k] = rho * s["Eg2"][k] + (1 - rho) * g[k] ** 2
        dx = -np.sqrt(s["Edx2"][k] + eps) / np.sqrt(s["Eg2"][k] + eps) * g[k]
        s["Edx2"][k] = rho * s["Edx2"][k] + (1 - rho) * dx ** 2
        new[k] = p[k] + dx
    s["t"] += 1
    return new, s


def rmsprop(params, grad_fn, state=None, lr=0.001, gamma=0.9, eps=1e-8):
    r"""RMSprop (Hinton, Coursera lecture 6e):

    E[g^2]_t = gamma E[g^2]_{t-1} + (1 - gamma) g_t^2;  theta <- theta - lr / sqrt(E[g^2]_t + eps) * g_t.

    eps inside the square root, as on the slides. state["Eg2"].
    """
    p = _params(params)
    s = _init(state, p, "Eg2")
    g = _grads(grad_fn, p, p)
    for k in p:
        s["Eg2"][k] = gamma * s["Eg2"][k] + (1 - gamma) * g[k] ** 2
    s["t"] += 1
    return {k: p[k] - lr / np.sqrt(s["Eg2"][k] + eps) * g[k] for k in p}, s


def adam(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    r"""Adam (Kingma & Ba 2015, Algorithm 1), with bias correction.

    t <- t + 1  (so the first step has t = 1)
    m_t = beta1 m_{t-1} + (1 - beta1) g_t;   v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
    m_hat = m_t / (1 - beta1^t);             v_hat = v_t / (1 - beta2^t)
    theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)      (eps outside the root)

    beta2 = 0.999 as in the paper (the slides' 0.9999 is a typo). state["m"], state["v"].
    """
    p = _params(params)
    s = _init(state, p, "m", "v")
    g = _grads(grad_fn, p, p)
    s["t"] += 1
    t = s["t"]
    new = {}
    for k in p:
        # The formulas above, with fewer arrays made: m and v are this call's own copies (_init),
        # updated in place, and m_hat's division is folded into the step size.
        m, v = s["m"][k], s["v"][k]
        m *= beta1
        m += (1 - beta1) * g[k]                      # m_t
        v *= beta2
        sq = np.square(g[k])
        sq *= 1 - beta2
        v += sq                                      # v_t
        root = np.sqrt(v / (1 - beta2 ** t))         # sqrt(v_hat)
        root += eps
        step = np.divide(m, root, out=root)
        step *= lr / (1 - beta1 ** t)                # lr * m_hat / (sqrt(v_hat) + eps)
        new[k] = p[k] - step
    return new, s


#: Every optimizer by the name used in lectures, assignments and checks.
OPTIMIZERS = {
    "gd": gradient_descent,
    "momentum": momentum,
    "nesterov": nesterov,
    "adagrad": adagrad,
    "adadelta": adadelta,
    "rmsprop": rmsprop,
    "adam": adam,
}
