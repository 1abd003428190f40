"""Penalties against direct sums; gradients and update rules against finite differences
of the regularised loss; biases provably untouched."""
import numpy as np
import pytest

from dlcourse.gradcheck import numerical_gradient
from dlcourse.params import flatten, unflatten
from grader.reference import regularization as R


@pytest.fixture
def net(rng):
    return {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=3),
            "W2": rng.normal(size=(3, 2)), "b2": rng.normal(size=2)}


def test_penalties_are_the_direct_sums(net):
    w = np.concatenate([net["W1"].ravel(), net["W2"].ravel()])
    assert R.l2_penalty(net, 0.3) == pytest.approx(0.3 / 2 * sum(v * v for v in w))
    assert R.l1_penalty(net, 0.3) == pytest.approx(0.3 * sum(abs(v) for v in w))
    assert R.l2_penalty(net, 0.3, keys=["W2"]) == pytest.approx(0.15 * np.sum(net["W2"] ** 2))


@pytest.mark.parametrize("pen, grad", [(R.l2_penalty, R.l2_penalty_grad),
                                       (R.l1_penalty, R.l1_penalty_grad)])
def test_penalty_gradients_match_finite_differences(net, pen, grad):
    theta, spec = flatten(net)
    num = unflatten(numerical_gradient(lambda t: pen(unflatten(t, spec), 0.7), theta), spec)
    g = grad(net, 0.7)
    for k in net:
        np.testing.assert_allclose(g[k], num[k], rtol=1e-7, atol=1e-9)
    assert not np.any(g["b1"]) and not np.any(g["b2"])


def test_weight_decay_step_is_a_gradient_step_on_the_regularised_loss(net, rng):
    """w <- (1 - a*lam) w - a dJ/dw is exactly w - a d(J + lam/2 ||w||^2)/dw; b is untouched by lam."""
    target = rng.normal(size=2)
    x = rng.normal(size=4)

    def J(p):  # a small unregularised loss of the whole network
        h = np.tanh(x @ p["W1"] + p["b1"])
        return 0.5 * np.sum((h @ p["W2"] + p["b2"] - target) ** 2)

    theta, spec = flatten(net)
    dJ = unflatten(numerical_gradient(lambda t: J(unflatten(t, spec)), theta), spec)
    d_total = unflatten(numerical_gradient(
        lambda t: J(unflatten(t, spec)) + R.l2_penalty(unflatten(t, spec), 0.1), theta), spec)
    lr = 0.5
    new = R.weight_decay_step(net, dJ, lr, 0.1)
    for k in net:
        np.testing.assert_allclose(new[k], net[k] - lr * d_total[k], rtol=1e-7, atol=1e-9)
    # the bias update does not depend on lambda at all
    np.testing.assert_array_equal(new["b1"], R.weight_decay_step(net, dJ, lr, 5.0)["b1"])
    np.testing.assert_allclose(new["W1"], (1 - lr * 0.1) * net["W1"] - lr * dJ["W1"])


def test_l1_step_moves_each_weight_toward_zero_by_lr_lam(net):
    zero = {k: np.zeros_like(v) for k, v in net.items()}
    new = R.l1_step(net, zero, lr=0.01, lam=2.0)
    np.testing.assert_allclose(np.abs(net["W1"]) - np.abs(new["W1"]), 0.02)
    np.testing.assert_array_equal(new["b2"], net["b2"])


def test_inputs_are_not_modified(net):
    before = {k: v.copy() for k, v in net.items()}
    R.weight_decay_step(net, net, 0.1, 0.1)
    R.l1_step(net, net, 0.1, 0.1)
    for k in net:
        np.testing.assert_array_equal(net[k], before[k])


def test_bad_input(net):
    with pytest.raises(ValueError, match="keys of params"):
        R.weight_decay_step(net, {"W1": net["W1"]}, 0.1, 0.1)
    with pytest.raises(ValueError, match="shape"):
        R.weight_decay_step(net, {**net, "b1": np.zeros(4)}, 0.1, 0.1)
    with pytest.raises(KeyError, match="W9"):
        R.l2_penalty(net, 0.1, keys=["W9"])
    with pytest.raises(TypeError, match="dict"):
        R.l2_penalty([1, 2], 0.1)


def test_ridge_fit_matches_scikit_learn(rng):
    """sklearn's Ridge minimises ||y - Xw - b||^2 + alpha ||w||^2 with b unpenalised: the same
    minimiser as 1/2 ||.||^2 + lam/2 ||w||^2 with alpha = lam."""
    from sklearn.linear_model import Ridge
    Phi, y = rng.normal(size=(30, 5)), rng.normal(size=30) + 3.0
    for lam in (0.0, 0.1, 10.0):
        w, b = R.ridge_fit(Phi, y, lam)
        ref = Ridge(alpha=lam, solver="svd").fit(Phi, y)
        np.testing.assert_allclose(w, ref.coef_, rtol=1e-8, atol=1e-10)
        assert b == pytest.approx(ref.intercept_, rel=1e-8)


def test_choose_lambda_picks_the_validation_minimum(rng):
    Phi, y = rng.normal(size=(12, 8)), rng.normal(size=12)
    Phi_v, y_v = rng.normal(size=(40, 8)), rng.normal(size=40)
    lams = [1e-3, 1e-1, 1.0, 10.0, 100.0]
    errs = []
    for lam in lams:  # by brute force, with scikit-learn's Ridge
        from sklearn.linear_model import Ridge
        errs.append(np.mean((Ridge(alpha=lam, solver="svd").fit(Phi, y).predict(Phi_v) - y_v) ** 2))
    assert R.choose_lambda(Phi, y, Phi_v, y_v, lams) == lams[int(np.argmin(errs))]
