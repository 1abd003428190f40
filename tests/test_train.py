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
