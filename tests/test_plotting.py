"""Plot helpers: the pixels and lines they draw, not just that they run."""
import numpy as np
import pytest

from dlcourse import functions, plotting
from grader.reference import optimizers as O


def test_image_grid_places_each_feature_scaled_by_its_own_max(rng):
    W = rng.normal(size=(6, 5))            # five 2x3 "images"
    ax = plotting.image_grid(W, image_shape=(2, 3))
    canvas = ax.get_images()[0].get_array()
    assert canvas.shape == (2 * 3 + 1, 3 * 4 + 1)   # 3 cols x 2 rows of 2x3 tiles, 1-pixel borders
    first = canvas[1:3, 1:4]
    np.testing.assert_allclose(first, (W[:, 0] / np.abs(W[:, 0]).max()).reshape(2, 3))
    assert canvas[0].tolist() == [-1.0] * canvas.shape[1]
    with pytest.raises(ValueError, match="image_shape"):
        plotting.image_grid(W, image_shape=(28, 28))


def test_loss_curves_and_trajectories_draw_what_they_are_given():
    ax = plotting.loss_curves({"a": [3, 2, 1], "b": [4, 1]})
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]
    path = functions.run(O.gradient_descent, functions.rosenbrock, 5, lr=1e-3)
    ax = plotting.trajectories(functions.rosenbrock, {"gd": path})
    np.testing.assert_allclose(ax.get_lines()[0].get_xydata(), path)


def test_test_function_gradients_match_finite_differences():
    from dlcourse.gradcheck import numerical_gradient
    for f in functions.FUNCTIONS.values():
        p = np.array([0.3, -0.7])
        num = numerical_gradient(lambda v: f.f(*v), p)
        np.testing.assert_allclose(f.grad_fn({"xy": p})["xy"], num, rtol=1e-7)
        if f.minimum is not None:
            np.testing.assert_allclose(f.grad(*f.minimum), 0.0, atol=1e-12)
