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


def textbook_lbfgs(fg, x, iters, m=10):
    """Nocedal & Wright's Algorithm 7.4 with explicit (s, y) lists and the same line search and
    initial scaling as train.two_loop_lbfgs: its iterates, which the vector-free version must match."""
    from scipy.optimize._linesearch import scalar_search_wolfe2
    f, g = fg(x)
    S, Y, xs = [], [], [x]
    for _ in range(iters):
        q, alphas = g.copy(), []
        for s, y in reversed(list(zip(S, Y))):
            alphas.append(s @ q / (y @ s))
            q = q - alphas[-1] * y
        q = q * (S[-1] @ Y[-1] / (Y[-1] @ Y[-1]) if S else min(1.0, 1.0 / np.sum(np.abs(g))))
        for (s, y), a in zip(zip(S, Y), reversed(alphas)):
            q = q + s * (a - y @ q / (y @ s))
        d = -q
        step = scalar_search_wolfe2(lambda t: fg(x + t * d)[0], lambda t: fg(x + t * d)[1] @ d, f, None,
                                    g @ d, c1=1e-4, c2=0.9, maxiter=20)[0]
        x_new = x + step * d
        f, g_new = fg(x_new)
        if (x_new - x) @ (g_new - g) > 1e-10:
            S, Y = (S + [x_new - x])[-m:], (Y + [g_new - g])[-m:]
        x, g = x_new, g_new
        xs.append(x)
    return xs


def test_two_loop_follows_the_textbook_recursion():
    x0 = np.linspace(-2, 2, 20)
    expected = textbook_lbfgs(rosenbrock, x0, 25, m=5)
    seen = []

    def fg(x):
        seen.append(x.copy())
        return rosenbrock(x)
    got = [x0]
    # the iterate after each iteration is the last point the line search evaluated at the accepted step
    train.two_loop_lbfgs(fg, x0, maxiter=25, maxcor=5, callback=lambda f: got.append(seen[-1]))
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_two_loop_in_float32_solves_a_convex_quadratic(rng):
    n = 50
    Q = rng.normal(size=(n, n))
    A = Q @ Q.T + n * np.eye(n)
    b = rng.normal(size=n)
    exact = np.linalg.solve(A, b)
    A32, b32 = A.astype(np.float32), b.astype(np.float32)
    dtypes = set()

    def fg(z):
        dtypes.add(z.dtype)
        z64 = z.astype(np.float64)                 # the cost accumulated in float64, as the course's
        return float(0.5 * z64 @ A @ z64 - b @ z64), A32 @ z - b32
    x = train.two_loop_lbfgs(fg, np.zeros(n), maxiter=300, maxcor=5, gtol=2e-5, ftol=0, dtype=np.float32)
    assert x.dtype == np.float32 and dtypes == {np.dtype(np.float32)}
    np.testing.assert_allclose(x, exact, rtol=0, atol=2e-5 / 50)   # gtol / the smallest eigenvalue
    # float64 arithmetic with float32 memory (the stored pairs only)
    x = train.two_loop_lbfgs(lambda z: (0.5 * z @ A @ z - b @ z, A @ z - b), np.zeros(n), maxiter=300,
                             maxcor=5, gtol=1e-10, ftol=0, memory_dtype=np.float32)
    assert x.dtype == np.float64
    np.testing.assert_allclose(x, exact, rtol=0, atol=1e-8)


def test_lbfgs_runs_a_float32_problem_in_float32(rng):
    X, y, exact = problem(rng)
    seen = set()

    def fun(params, X, y):
        seen.update(v.dtype for v in params.values())
        r = X @ params["w"] + params["b"] - y
        return 0.5 * float(np.mean(r ** 2)), {"w": X.T @ r / len(y), "b": np.array([r.mean()])}
    p, hist = train.lbfgs(fun, {"w": np.zeros(3), "b": np.zeros(1)}, X.astype(np.float32),
                          y.astype(np.float32), maxiter=100, progress=False)
    assert seen == {np.dtype(np.float32)} and p["w"].dtype == np.float64
    np.testing.assert_allclose(np.r_[p["w"], p["b"]], exact, atol=1e-4)


def test_lbfgs_runs_scipys_blas_on_one_thread_and_leaves_numpys_alone(rng):
    """SciPy's own BLAS (its wheels ship one beside NumPy's) runs on one thread while L-BFGS works,
    so its idle threads do not take the cores from NumPy's matrix products; afterwards, as before."""
    import pytest
    import scipy.linalg  # noqa: F401  (loads SciPy's BLAS)
    from threadpoolctl import threadpool_info, threadpool_limits

    def threads():
        out = {}
        for i in threadpool_info():
            if i["user_api"] == "blas":
                kind = "scipy" if "scipy.libs" in i["filepath"] or "/scipy/" in i["filepath"] else "numpy"
                out[kind] = i["num_threads"]
        return out

    if len({i["filepath"] for i in threadpool_info() if i["user_api"] == "blas"}) < 2:
        pytest.skip("NumPy and SciPy share one BLAS here: nothing to keep apart")
    X, y, exact = problem(rng)
    seen = []

    def cost(params, X, y):
        seen.append(threads())
        return least_squares(params, X, y)

    for method in ("two-loop", "scipy"):
        with threadpool_limits(2):
            before = threads()
            assert before == {"numpy": 2, "scipy": 2}, before
            p, _ = train.lbfgs(cost, {"w": np.zeros(3), "b": np.zeros(1)}, X, y, maxiter=50, progress=False,
                               method=method)
            assert threads() == before
        assert seen and all(s == {"numpy": 2, "scipy": 1} for s in seen), seen[:3]
        np.testing.assert_allclose(np.r_[p["w"], p["b"]], exact, atol=1e-5)
        seen.clear()
