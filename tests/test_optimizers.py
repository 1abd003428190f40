"""Each optimizer's first steps against values worked out by hand from its published rule.

The test problem is f(theta) = theta^2 / 2 from theta = 1, so the gradient is theta
itself and every number below can be followed with pencil and paper.
"""
import math

import numpy as np
import pytest

from dlcourse import functions
from grader.reference import optimizers as O


def steps(step, n, theta0=1.0, **hyper):
    """Run n steps on f = theta^2/2 (grad = theta); return the thetas after each step."""
    params, state, out = {"theta": np.array([theta0])}, None, []
    for _ in range(n):
        params, state = step(params, lambda p: {"theta": p["theta"].copy()}, state, **hyper)
        out.append(float(params["theta"][0]))
    return out


def test_gradient_descent():
    assert steps(O.gradient_descent, 2, lr=0.1) == pytest.approx([0.9, 0.81])


def test_momentum():
    # v1 = 0.1*1 = 0.1, theta1 = 0.9; v2 = 0.9*0.1 + 0.1*0.9 = 0.18, theta2 = 0.72
    assert steps(O.momentum, 2, lr=0.1, gamma=0.9) == pytest.approx([0.9, 0.72])


def test_nesterov_takes_the_gradient_at_the_look_ahead_point():
    # step 1: v0 = 0, look-ahead = 1, v1 = 0.1, theta1 = 0.9
    # step 2: look-ahead = 0.9 - 0.9*0.1 = 0.81, v2 = 0.09 + 0.081 = 0.171, theta2 = 0.729
    assert steps(O.nesterov, 2, lr=0.1, gamma=0.9) == pytest.approx([0.9, 0.729])
    seen = []
    params, state = {"theta": np.array([1.0])}, None
    for _ in range(2):
        params, state = O.nesterov(params, lambda p: seen.append(float(p["theta"][0])) or
                                   {"theta": p["theta"].copy()}, state, lr=0.1, gamma=0.9)
    assert seen == pytest.approx([1.0, 0.81])


def test_adagrad():
    # G1 = 1, theta1 = 1 - 0.1/1*1 = 0.9; G2 = 1 + 0.81, theta2 = 0.9 - 0.1*0.9/sqrt(1.81)
    assert steps(O.adagrad, 2, lr=0.1, eps=0.0) == pytest.approx([0.9, 0.9 - 0.09 / math.sqrt(1.81)])


def test_rmsprop():
    # E1 = 0.1*1, theta1 = 1 - 0.1/sqrt(0.1); E2 = 0.9*0.1 + 0.1*theta1^2
    t1 = 1 - 0.1 / math.sqrt(0.1)
    t2 = t1 - 0.1 / math.sqrt(0.09 + 0.1 * t1 ** 2) * t1
    assert steps(O.rmsprop, 2, lr=0.1, gamma=0.9, eps=0.0) == pytest.approx([t1, t2], rel=1e-12)


def test_adadelta_uses_the_previous_rms_of_updates():
    rho, eps = 0.95, 1e-6
    # step 1: E[g2] = 0.05, dx = -sqrt(0 + eps)/sqrt(0.05 + eps) * 1, E[dx2] = 0.05 dx^2
    dx1 = -math.sqrt(eps) / math.sqrt(0.05 + eps)
    t1, edx = 1 + dx1, 0.05 * dx1 ** 2
    eg = 0.95 * 0.05 + 0.05 * t1 ** 2
    dx2 = -math.sqrt(edx + eps) / math.sqrt(eg + eps) * t1
    assert steps(O.adadelta, 2, rho=rho, eps=eps) == pytest.approx([t1, t1 + dx2], rel=1e-12)


def test_adam_first_step_has_size_lr_in_every_coordinate(rng):
    """With bias correction m_hat = g and v_hat = g^2 at t = 1, so the step is
    lr * g / (|g| + eps), which is lr * sign(g) up to eps/|g| (here at most 1e-6)."""
    g = rng.choice([-1.0, 1.0], size=6) * np.logspace(-2, 4, 6)
    p0 = {"w": rng.normal(size=6)}
    p1, state = O.adam(p0, lambda p: {"w": g}, None, lr=0.01)
    np.testing.assert_allclose(p0["w"] - p1["w"], 0.01 * np.sign(g), rtol=1e-6)
    assert state["t"] == 1


def test_adam_second_step():
    b1, b2, lr = 0.9, 0.999, 0.1
    t1 = 1 - lr / (1 + 1e-8)                      # first step: size lr (eps aside)
    m = b1 * 0.1 + 0.1 * t1                       # m1 = 0.1*1
    v = b2 * 0.001 + 0.001 * t1 ** 2              # v1 = 0.001*1
    t2 = t1 - lr * (m / (1 - b1 ** 2)) / (math.sqrt(v / (1 - b2 ** 2)) + 1e-8)
    assert steps(O.adam, 2, lr=lr) == pytest.approx([t1, t2], rel=1e-12)


@pytest.mark.parametrize("name", sorted(O.OPTIMIZERS))
def test_interface_is_pure_and_counts_steps(name, rng):
    step = O.OPTIMIZERS[name]
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    grads = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    before = {k: v.copy() for k, v in params.items()}
    new, state = step(params, lambda p: grads, None)
    state_copy = {k: (v if k == "t" else {kk: vv.copy() for kk, vv in v.items()}) for k, v in state.items()}
    step(new, lambda p: grads, state)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    for k, v in state.items():
        if k != "t":
            for kk in v:
                np.testing.assert_array_equal(v[kk], state_copy[k][kk])
    assert state["t"] == 1


@pytest.mark.parametrize("name, hyper", [("gd", {"lr": 0.05}), ("momentum", {"lr": 0.01}),
                                         ("nesterov", {"lr": 0.01}), ("adagrad", {"lr": 0.5}),
                                         ("adadelta", {}), ("rmsprop", {"lr": 0.01}),
                                         ("adam", {"lr": 0.05})])
def test_every_optimizer_descends_the_ill_conditioned_quadratic(name, hyper):
    path = functions.run(O.OPTIMIZERS[name], functions.quadratic, 300, **hyper)
    f = [functions.quadratic.f(*p) for p in path]
    assert f[-1] < 0.5 * f[0]


def test_bad_gradients_are_named():
    with pytest.raises(ValueError, match="keys"):
        O.adam({"w": np.ones(2)}, lambda p: {"v": np.ones(2)})
    with pytest.raises(ValueError, match="shape"):
        O.adam({"w": np.ones(2)}, lambda p: {"w": np.ones(3)})
    with pytest.raises(ValueError, match="NaN"):
        O.momentum({"w": np.ones(2)}, lambda p: {"w": np.array([np.nan, 1.0])})
    with pytest.raises(ValueError, match="state"):
        O.adam({"w": np.ones(2)}, lambda p: p, {"t": 1, "m": {"u": 0}, "v": {"u": 0}})
