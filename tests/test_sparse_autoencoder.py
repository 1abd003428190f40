"""Sparse autoencoder, softmax regression and the stacked network: gradients by finite
differences, the KL term against SciPy's entropy, costs against direct loops."""
import numpy as np
import pytest
from scipy import stats

from dlcourse.gradcheck import check_gradient
from grader.reference import softmax_regression as SR
from grader.reference import sparse_autoencoder as SA
from grader.reference import stacked_autoencoder as ST


def test_kl_matches_scipy_entropy():
    for rho, rho_hat in [(0.1, 0.1), (0.05, 0.3), (0.1, 1e-6), (0.1, 1 - 1e-6), (0.5, 0.2)]:
        expected = stats.entropy([rho, 1 - rho], [rho_hat, 1 - rho_hat])
        assert SA.kl_divergence(rho, rho_hat) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert SA.kl_divergence(0.1, 0.1) == 0.0


def test_initialisation_range():
    p = SA.initialize(784, 200, seed=0)
    r = np.sqrt(6 / (784 + 200 + 1))
    assert p["W1"].shape == (784, 200) and p["W2"].shape == (200, 784)
    assert np.abs(p["W1"]).max() <= r and np.abs(p["W1"]).max() > 0.99 * r
    assert not np.any(p["b1"]) and not np.any(p["b2"])


def test_cost_is_the_sum_of_its_three_terms_computed_by_loops(rng):
    X = rng.random((5, 6))
    p = SA.initialize(6, 3, seed=2)
    lam, beta, rho = 0.01, 3.0, 0.1
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    rec, act = 0.0, np.zeros(3)
    for x in X:
        h = sig(x @ p["W1"] + p["b1"])
        act += h / 5
        rec += 0.5 * np.sum((sig(h @ p["W2"] + p["b2"]) - x) ** 2) / 5
    wd = lam / 2 * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
    sp = beta * sum(stats.entropy([rho, 1 - rho], [a, 1 - a]) for a in act)
    assert SA.cost_and_grad(p, X, lam, beta, rho)[0] == pytest.approx(rec + wd + sp, rel=1e-12)


@pytest.mark.parametrize("lam, beta, rho", [(0.0, 0.0, 0.1), (3e-3, 3.0, 0.1), (0.1, 5.0, 0.01), (0.0, 1.0, 0.9)])
def test_sparse_autoencoder_gradient(rng, lam, beta, rho):
    X = rng.random((10, 8))
    p = {k: v + 0.1 * rng.normal(size=v.shape) for k, v in SA.initialize(8, 5, seed=1).items()}
    err, _, _ = check_gradient(lambda q: SA.cost_and_grad(q, X, lam, beta, rho), p)
    assert err < 1e-7


def test_softmax_regression_gradient_and_predict(rng):
    X, y = rng.normal(size=(12, 5)), rng.integers(0, 4, 12)
    p = {"W": rng.normal(size=(5, 4)), "b": rng.normal(size=4)}
    assert check_gradient(lambda q: SR.cost_and_grad(q, X, y, 0.3), p)[0] < 1e-7
    # predict is the argmax of the scores, sample by sample
    assert [int(np.argmax(x @ p["W"] + p["b"])) for x in X] == list(SR.predict(p, X))


@pytest.mark.parametrize("sizes", [(6, 5, 3), (6, 5, 4, 3)])
def test_finetune_gradient_through_the_stack(rng, sizes):
    X, y = rng.random((9, 7)), rng.integers(0, 3, 9)
    dims = (7,) + sizes
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = rng.normal(size=(dims[l - 1], dims[l]))
        p[f"b{l}"] = rng.normal(size=dims[l])
    assert check_gradient(lambda q: ST.finetune_cost_and_grad(q, X, y, 0.2), p)[0] < 1e-7


def test_finetune_decays_only_the_softmax_weights(rng):
    X, y = rng.random((4, 3)), rng.integers(0, 2, 4)
    p = {"W1": rng.normal(size=(3, 2)), "b1": np.zeros(2), "W2": rng.normal(size=(2, 2)), "b2": np.zeros(2)}
    c0, g0 = ST.finetune_cost_and_grad(p, X, y, 0.0)
    c1, g1 = ST.finetune_cost_and_grad(p, X, y, 1.0)
    assert c1 - c0 == pytest.approx(0.5 * np.sum(p["W2"] ** 2))
    np.testing.assert_allclose(g1["W1"], g0["W1"])
    np.testing.assert_allclose(g1["W2"] - g0["W2"], p["W2"])


def plain_finetune_cost_and_grad(p, X, y, lam):
    """Backpropagation through the stack by the textbook formulas (samples in rows, no buffers)."""
    from scipy.special import expit, log_softmax
    L = len([k for k in p if k.startswith("W")]) - 1
    acts = [X]
    for l in range(1, L + 1):
        acts.append(expit(acts[-1] @ p[f"W{l}"] + p[f"b{l}"]))
    logP = log_softmax(acts[-1] @ p[f"W{L + 1}"] + p[f"b{L + 1}"], axis=1)
    m = len(X)
    cost = -logP[np.arange(m), y].mean() + 0.5 * lam * np.sum(p[f"W{L + 1}"] ** 2)
    delta = (np.exp(logP) - np.eye(logP.shape[1])[y]) / m
    grads = {f"W{L + 1}": acts[L].T @ delta + lam * p[f"W{L + 1}"], f"b{L + 1}": delta.sum(axis=0)}
    for l in range(L, 0, -1):
        delta = (delta @ p[f"W{l + 1}"].T) * acts[l] * (1 - acts[l])
        grads[f"W{l}"], grads[f"b{l}"] = acts[l - 1].T @ delta, delta.sum(axis=0)
    return cost, grads


@pytest.mark.parametrize("m", [1, 17, 300])
@pytest.mark.parametrize("block_bytes", [1, 1 << 18])
@pytest.mark.parametrize("sizes", [(30, 7, 4), (30, 9, 7, 4)])
def test_fast_finetune_equals_the_plain_formulas(rng, m, block_bytes, sizes, monkeypatch):
    """The fine-tuning cost (errors held transposed, buffers, blocks, the dtype's sigmoid form) is
    the textbook backpropagation: in float64 to rounding, in float32 to float32 accuracy."""
    monkeypatch.setattr(SA, "_BLOCK_BYTES", block_bytes)
    X, y = rng.random((m, sizes[0])), rng.integers(0, sizes[-1], m)
    p = {}
    for l in range(1, len(sizes)):
        p[f"W{l}"], p[f"b{l}"] = rng.normal(size=(sizes[l - 1], sizes[l])), rng.normal(size=sizes[l])
    p["b1"][0] = 800.0                      # a unit saturated for every sample (float64's exp(-z) is inf there)
    ref_cost, ref = plain_finetune_cost_and_grad(p, X, y, 0.3)
    for _ in range(2):                      # a second call reuses the buffers
        cost, grads = ST.finetune_cost_and_grad(p, X, y, 0.3)
        assert cost == pytest.approx(ref_cost, rel=1e-12)
        for k in ref:
            assert grads[k].shape == ref[k].shape
            np.testing.assert_allclose(grads[k], ref[k], rtol=0, atol=1e-12 * np.abs(ref[k]).max())
    c32, g32 = ST._finetune_cost_and_grad({k: v.astype(np.float32) for k, v in p.items()}, X.astype(np.float32),
                                          y, 0.3)
    assert c32 == pytest.approx(ref_cost, rel=1e-5)
    for k in ref:
        assert g32[k].dtype == np.float32
        np.testing.assert_allclose(g32[k], ref[k], rtol=0, atol=1e-4 * np.abs(ref[k]).max())


def test_bad_input():
    p = SA.initialize(6, 3)
    with pytest.raises(ValueError, match="do not fit"):
        SA.cost_and_grad(p, np.zeros((4, 5)))
    with pytest.raises(ValueError, match="rho"):
        SA.cost_and_grad(p, np.zeros((4, 6)), rho=1.5)
    with pytest.raises(KeyError, match="missing"):
        SA.cost_and_grad({"W1": p["W1"]}, np.zeros((4, 6)))
    with pytest.raises(ValueError, match="labels in 0..1"):
        ST.finetune_cost_and_grad({"W1": np.ones((6, 3)), "b1": np.ones(3), "W2": np.ones((3, 2)),
                                   "b2": np.ones(2)}, np.zeros((2, 6)), np.array([0, 5]))


def plain_cost_and_grad(p, X, lam, beta, rho):
    """The textbook formulas, no buffers, no blocks: what the fast reference must equal."""
    from scipy.special import expit
    m = len(X)
    H = expit(X @ p["W1"] + p["b1"])
    Xh = expit(H @ p["W2"] + p["b2"])
    rho_hat = H.mean(axis=0)
    cost = (0.5 / m * np.sum((Xh - X) ** 2) + 0.5 * lam * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
            + beta * np.sum(SA.kl_divergence(rho, rho_hat)))
    d3 = (Xh - X) * Xh * (1 - Xh) / m
    d2 = (d3 @ p["W2"].T + beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)) / m) * H * (1 - H)
    return cost, {"W1": X.T @ d2 + lam * p["W1"], "b1": d2.sum(axis=0),
                  "W2": H.T @ d3 + lam * p["W2"], "b2": d3.sum(axis=0)}


@pytest.mark.parametrize("m", [1, 15, 16, 17, 300])    # fewer rows than a block, exactly one, several
@pytest.mark.parametrize("block_bytes", [1, 1 << 18])    # blocks of 16 rows (the least), and the default
def test_fast_cost_equals_the_plain_formulas(rng, m, block_bytes, monkeypatch):
    monkeypatch.setattr(SA, "_BLOCK_BYTES", block_bytes)
    X = rng.random((m, 30))
    p = {k: v + 0.5 * rng.normal(size=v.shape) for k, v in SA.initialize(30, 7, seed=1).items()}
    cost, grads = SA.cost_and_grad(p, X, 3e-3, 3.0, 0.1)
    ref_cost, ref = plain_cost_and_grad(p, X, 3e-3, 3.0, 0.1)
    assert cost == pytest.approx(ref_cost, rel=1e-12)
    for k in ref:
        np.testing.assert_allclose(grads[k], ref[k], rtol=0, atol=1e-12 * np.abs(ref[k]).max())
    # float32: the same to float32 accuracy, and float32 gradients
    c32, g32 = SA._cost_and_grad({k: v.astype(np.float32) for k, v in p.items()}, X.astype(np.float32),
                                 3e-3, 3.0, 0.1)
    assert c32 == pytest.approx(ref_cost, rel=1e-5)
    assert all(g32[k].dtype == np.float32 for k in g32)
    np.testing.assert_allclose(g32["W2"], ref["W2"], atol=1e-5 * np.abs(ref["W2"]).max())


def test_fast_cost_saturated_units(rng):
    """Pre-activations beyond +-709 (float64's exp overflows there): the same as the plain formulas
    (sigmoids exactly 0 or 1), finite, and no warning."""
    import warnings
    X = rng.random((40, 30))
    X[0] *= 5000                                   # sample 0 saturates every hidden unit
    p = SA.initialize(30, 7, seed=1)
    p["b2"] = np.r_[-2000.0, 2000.0, np.zeros(28)]  # two outputs saturate for every sample
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cost, grads = SA.cost_and_grad(p, X, 3e-3, 3.0, 0.1)
    ref_cost, ref = plain_cost_and_grad(p, X, 3e-3, 3.0, 0.1)
    assert np.isfinite(cost) and cost == pytest.approx(ref_cost, rel=1e-12)
    for k in ref:
        np.testing.assert_allclose(grads[k], ref[k], rtol=0, atol=1e-12 * np.abs(ref[k]).max())


def test_returned_gradients_survive_the_next_evaluation(rng):
    """The cost reuses buffers between calls; what it returns must not be one of them."""
    X = rng.random((300, 30))
    p = SA.initialize(30, 7, seed=1)
    _, first = SA.cost_and_grad(p, X)
    kept = {k: v.copy() for k, v in first.items()}
    SA.cost_and_grad({k: v + 1 for k, v in p.items()}, X)
    SA.cost_and_grad(p, rng.random((300, 30)))
    for k in kept:
        np.testing.assert_array_equal(first[k], kept[k])
