"""dlcourse.testing: the visible tests' messages say what was expected and what came back."""
import numpy as np
import pytest

from dlcourse.testing import expect, expect_close, expect_shape


def test_a_wrong_value_is_reported_with_both_numbers():
    with pytest.raises(AssertionError, match=r"^mse\(a, b\) should be 4.33333, but your function returned 6.5$"):
        expect_close(6.5, 13 / 3, "mse(a, b)")


def test_shapes_non_numbers_and_non_finite_values_are_named():
    with pytest.raises(AssertionError, match=r"should have shape \(2, 3\), but your function returned shape \(3, 2\)"):
        expect_close(np.zeros((3, 2)), np.zeros((2, 3)), "softmax")
    with pytest.raises(AssertionError, match="should be numbers like 0.5, but your function returned NoneType"):
        expect_close(None, 0.5, "sigmoid(0)")
    with pytest.raises(AssertionError, match=r"should be finite \(1000\), but your function returned inf"):
        expect_close(np.inf, 1000.0, "the loss")
    with pytest.raises(AssertionError, match=r"should have shape \(7,\), but it has shape \(7, 1\)"):
        expect_shape(np.zeros((7, 1)), (7,), "predict")
    with pytest.raises(AssertionError, match="^the sentence$"):
        expect(False, "the sentence")


def test_right_answers_pass_including_a_number_compared_with_every_entry():
    expect_close(np.array([0.5, 0.5]), 0.5, "both")
    expect_close(np.float32(1 / 3), 1 / 3, "float32 is close enough")
    expect_close([0.9, 0.81], [0.9, 0.81], "a list")
    expect_shape(np.zeros((2, 3)), (2, 3), "shape")
    expect(True, "never shown")


def test_a_float32_gradient_is_held_to_what_float32_can_reach_and_told_so(capsys):
    from dlcourse.testing import FLOAT32_GRADIENT_LIMIT, expect_gradient, low_precision

    assert low_precision({"W": np.zeros(2, np.float32), "b": np.zeros(1)}) and not low_precision([np.zeros(2)])
    expect_gradient(3e-3, {"W": np.zeros(2, np.float32)}, 1e-9)          # float32: 3e-3 is as good as it gets
    assert "float32" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="below 1e-09"):
        expect_gradient(3e-3, {"W": np.zeros(2)}, 1e-9)                   # float64: a bug
    with pytest.raises(AssertionError, match="computed in float32"):
        expect_gradient(10 * FLOAT32_GRADIENT_LIMIT, np.zeros(2, np.float32), 1e-9)


def test_a_correct_float32_gradient_really_reaches_only_about_1e_3():
    """Where the float32 allowance comes from: central differences of a float32 cost."""
    from dlcourse.gradcheck import check_gradient
    from dlcourse.testing import FLOAT32_GRADIENT_LIMIT

    rng = np.random.default_rng(0)
    A = rng.normal(size=(20, 5)).astype(np.float32)

    def cost(w):
        w32 = np.asarray(w, np.float32)
        r = A @ w32 - 1
        return np.float32(0.5) * (r @ r), A.T @ r
    diff, _, _ = check_gradient(cost, rng.normal(size=5))
    assert 1e-6 < diff < FLOAT32_GRADIENT_LIMIT
