"""The gradient checker itself, on functions whose derivative is known in closed form."""
import numpy as np
import pytest

from dlcourse.gradcheck import check_gradient, numerical_gradient, relative_error
from dlcourse.params import flatten, flatten_like, unflatten


def test_numerical_gradient_of_known_functions(rng):
    """Central differences err by h**2 * |third derivative| / 6, plus rounding: check that bound."""
    x, h = rng.normal(size=(3, 2)), 1e-4
    err = np.abs(numerical_gradient(lambda v: np.sum(np.sin(v)), x, h) - np.cos(x))
    assert np.all(err <= h ** 2 * np.abs(np.cos(x)) / 6 * 1.01 + 1e-11)
    err = np.abs(numerical_gradient(lambda v: np.sum(v ** 3), x, h) - 3 * x ** 2)
    assert np.all(err <= h ** 2 * 6 / 6 * 1.01 + 1e-11)


def test_numerical_gradient_leaves_x_alone(rng):
    x = rng.normal(size=5)
    before = x.copy()
    numerical_gradient(lambda v: float(v @ v), x)
    np.testing.assert_array_equal(x, before)


def test_relative_error():
    assert relative_error([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert relative_error([0.0], [0.0]) == 0.0
    assert relative_error([1.0], [3.0]) == pytest.approx(0.5)


def test_check_gradient_tells_right_from_wrong(rng):
    A = rng.normal(size=(4, 4))
    params = {"u": rng.normal(size=4), "v": rng.normal(size=(2, 2))}

    def good(p):
        return float(p["u"] @ A @ p["u"] + np.sum(p["v"] ** 2)), {"v": 2 * p["v"], "u": (A + A.T) @ p["u"]}

    def bad(p):
        return good(p)[0], {"u": A @ p["u"], "v": 2 * p["v"]}

    assert check_gradient(good, params)[0] < 1e-9
    assert check_gradient(bad, params)[0] > 1e-2
    assert check_gradient(lambda t: (float(t @ t), 2 * t), rng.normal(size=3))[0] < 1e-9


def test_flatten_roundtrip_and_order(rng):
    p = {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=3)}
    theta, spec = flatten(p)
    assert theta.shape == (9,)
    q = unflatten(theta, spec)
    for k in p:
        np.testing.assert_array_equal(q[k], p[k])
    # gradients listed in another key order still land next to their parameter
    np.testing.assert_array_equal(flatten_like({"b": p["b"], "W": p["W"]}, spec), theta)
    with pytest.raises(ValueError, match="vector of 9"):
        unflatten(theta[:-1], spec)
    with pytest.raises(ValueError, match="shape"):
        flatten_like({"W": p["W"].T, "b": p["b"]}, spec)
