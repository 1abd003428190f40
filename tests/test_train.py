"""Training loops against closed-form answers: least squares has one minimiser."""
import numpy as np

from dlcourse import train
from grader.reference import optimizers as O
from grader.reference import training


def least_squares(params, X, y):
    r = X @ params["w"] + params["b"] - y
    return 0.5 * np.mean(r ** 2), {"w": X.T @ r / len(y), "b": np.array([r.mean()])}


def problem(rng):
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.7 + 0.01 * rng.normal(size=200)
    exact = np.linalg.lstsq(np.c_[X, np.ones(200)], y, rcond=None)[0]
    return X, y, exact


def test_lbfgs_finds_the_least_squares_solution(rng):
    X, y, exact = problem(rng)
    p, hist = train.lbfgs(least_squares, {"w": np.zeros(3), "b": np.zeros(1)}, X, y,
                          maxiter=100, progress=False)
    np.testing.assert_allclose(np.r_[p["w"], p["b"]], exact, atol=1e-5)
    assert hist[-1] < hist[0]


def test_minibatch_adam_gets_close(rng):
    X, y, exact = problem(rng)
    p, hist = training.train_minibatch(least_squares, {"w": np.zeros(3), "b": np.zeros(1)}, X, y,
                                       optimizer="adam", num_epochs=60, batch_size=20,
                                       progress=False, lr=0.05)
    assert len(hist) == 60 and hist[-1] < hist[0] / 100
    np.testing.assert_allclose(np.r_[p["w"], p["b"]], exact, atol=0.02)


def test_minibatch_is_reproducible(rng):
    X, y, _ = problem(rng)
    runs = [train.minibatch(least_squares, {"w": np.zeros(3), "b": np.zeros(1)}, X, y, O.momentum,
                            num_epochs=3, batch_size=32, seed=5, progress=False)[1] for _ in range(2)]
    assert runs[0] == runs[1]


def test_minibatches_cover_every_sample_once(rng):
    idx = np.concatenate(train.minibatches(103, 10, rng))
    assert sorted(idx) == list(range(103))


def test_unknown_optimizer():
    import pytest
    with pytest.raises(ValueError, match="unknown optimizer"):
        training.train_minibatch(least_squares, {}, np.zeros((1, 1)), np.zeros(1), optimizer="sgdd")


# The NumPy L-BFGS (the default method) against answers that do not come from itself.

def rosenbrock(x):
    from scipy.optimize import rosen, rosen_der
    return rosen(x), rosen_der(x)


def test_two_loop_reaches_scipys_minimum_on_rosenbrock():
    from scipy.optimize import minimize, rosen, rosen_der
    for x0 in (np.array([-1.2, 1.0]), np.linspace(-2, 2, 20)):
        history = []
        x = train.two_loop_lbfgs(rosenbrock, x0, maxiter=2000, callback=history.append)
        ref = minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B", options={"maxiter": 2000})
        np.testing.assert_allclose(x, np.ones_like(x0), atol=1e-4)      # the known minimiser
        np.testing.assert_allclose(x, ref.x, atol=1e-4)
        assert history[-1] < 1e-8 and np.all(np.diff(history) <= 0)


def test_two_loop_solves_a_convex_quadratic(rng):
    n = 50
    Q = rng.normal(size=(n, n))
    A = Q @ Q.T + n * np.eye(n)                  # symmetric positive definite
    b = rng.normal(size=n)
    history = []
    x = train.two_loop_lbfgs(lambda z: (0.5 * z @ A @ z - b @ z, A @ z - b), np.zeros(n), maxiter=500,
                             maxcor=5, gtol=1e-10, ftol=0, callback=history.append)
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=0, atol=1e-8)   # f-based line search limit
    assert np.all(np.diff(history) <= 0)


def test_lbfgs_methods_agree_on_least_squares(rng):
    X, y, exact = problem(rng)
    for method in ("two-loop", "scipy"):
        p, hist = train.lbfgs(least_squares, {"w": np.zeros(3), "b": np.zeros(1)}, X, y,
                              maxiter=100, progress=False, method=method, maxcor=5)
        np.testing.assert_allclose(np.r_[p["w"], p["b"]], exact, atol=1e-5)
        assert hist[-1] < hist[0] and np.all(np.diff(hist) <= 1e-15)
    import pytest
    with pytest.raises(ValueError, match="method"):
        train.lbfgs(least_squares, {"w": np.zeros(3), "b": np.zeros(1)}, X, y, method="newton")


def test_two_loop_stops_at_maxiter_and_leaves_x0_alone():
    x0 = np.array([-1.2, 1.0])
    history = []
    train.two_loop_lbfgs(rosenbrock, x0, maxiter=5, callback=history.append)
    assert len(history) == 5 and list(x0) == [-1.2, 1.0]
