"""Every check gives the reference full marks (as a plain float), and known mistakes fewer
points with the mistake named. a1 has its own, longer file."""
import numpy as np
import pytest

from grader.assignments import ASSIGNMENTS
from grader.checks import a2, a3
from grader.checks._core import run_local
from grader.reference import optimizers as O
from grader.reference import regularization as R

FULL = [
    (a2.check_l2, (R.l2_penalty, R.l2_penalty_grad), "a2-regularization", "test_l2"),
    (a2.check_l1, (R.l1_penalty, R.l1_penalty_grad), "a2-regularization", "test_l1"),
    (a2.check_weight_decay_step, (R.weight_decay_step,), "a2-regularization", "test_weight_decay_step"),
    (a2.check_l1_step, (R.l1_step,), "a2-regularization", "test_l1_step"),
    (a2.check_ridge_fit, (R.ridge_fit,), "a2-regularization", "test_ridge_fit"),
    (a2.check_choose_lambda, (R.choose_lambda,), "a2-regularization", "test_choose_lambda"),
    (a3.check_gradient_descent, (O.gradient_descent,), "a3-optimizers", "test_gradient_descent"),
    (a3.check_momentum, (O.momentum,), "a3-optimizers", "test_momentum"),
    (a3.check_nesterov, (O.nesterov,), "a3-optimizers", "test_nesterov"),
    (a3.check_adagrad, (O.adagrad,), "a3-optimizers", "test_adagrad"),
    (a3.check_adadelta, (O.adadelta,), "a3-optimizers", "test_adadelta"),
    (a3.check_rmsprop, (O.rmsprop,), "a3-optimizers", "test_rmsprop"),
    (a3.check_adam, (O.adam,), "a3-optimizers", "test_adam"),
]


@pytest.mark.parametrize("check, fns, assignment, grade_id", FULL, ids=lambda x: getattr(x, "__name__", None))
def test_reference_gets_full_marks(check, fns, assignment, grade_id, capsys):
    score = run_local(check, *fns)
    assert type(score) is float and score == ASSIGNMENTS[assignment][grade_id]
    assert "FAIL" not in capsys.readouterr().out


def adam_t_from_zero(params, grad_fn, state=None, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    s = state or {"t": 0, "m": {k: 0.0 for k in params}, "v": {k: 0.0 for k in params}}
    g = grad_fn(params)
    t = s["t"]                                     # used before it is increased
    m = {k: beta1 * s["m"][k] + (1 - beta1) * g[k] for k in params}
    v = {k: beta2 * s["v"][k] + (1 - beta2) * g[k] ** 2 for k in params}
    new = {k: params[k] - lr * (m[k] / (1 - beta1 ** t)) / (np.sqrt(v[k] / (1 - beta2 ** t)) + eps)
           for k in params}
    return new, {"t": t + 1, "m": m, "v": v}


def momentum_in_place(params, grad_fn, state=None, lr=0.01, gamma=0.9):
    """Right numbers, but it overwrites the caller's arrays, which the contract forbids."""
    v = state or {k: np.zeros_like(p) for k, p in params.items()}
    g = grad_fn(params)
    for k in params:
        v[k] = gamma * v[k] + lr * g[k]
        params[k] -= v[k]
    return params, v


@pytest.mark.parametrize("check, fn, text, full", [
    (a3.check_adam, a3._adam_variant(correct=False), "no bias correction", False),
    (a3.check_adam, a3._adam_variant(eps_inside=True), "eps is inside the square root", False),
    (a3.check_adam, adam_t_from_zero, "1 - beta^0 = 0", False),
    (a3.check_nesterov, O.momentum, "look-ahead point", False),
    (a3.check_momentum, O.nesterov, "that is NAG", False),
    (a3.check_momentum, a3._momentum_lr_twice, "lr is applied twice", False),
    (a3.check_adagrad, a3._adagrad_sum_g, "SQUARES", False),
    (a3.check_adadelta, a3._adadelta_current_rms, "RMS[dtheta]_{t-1}", False),
    (a3.check_rmsprop, a3._rmsprop_no_decay, "not decayed", False),
    (a3.check_momentum, momentum_in_place, "changed params in place", False),
])
def test_optimizer_mistakes_are_named(check, fn, text, full, capsys):
    score = run_local(check, fn)
    out = capsys.readouterr().out
    assert text in out
    assert (score == ASSIGNMENTS["a3-optimizers"]["test_" + check.__name__[6:]]) == full


def test_l1_gradient_with_abs_is_named(capsys):
    def l1_grad_abs(p, lam):
        return {k: lam * np.abs(v) if k.startswith("W") else np.zeros_like(v) for k, v in p.items()}
    score = run_local(a2.check_l1, R.l1_penalty, l1_grad_abs)
    assert 0 < score < 3 and "lam*sign(w), not lam*|w|" in capsys.readouterr().out


def test_autoencoder_checks(capsys):
    from grader.checks import a4, a5
    from grader.reference import sparse_autoencoder as SA
    from grader.reference import stacked_autoencoder as ST
    assert run_local(a4.check_kl_divergence, SA.kl_divergence) == 1.0
    assert run_local(a4.check_cost, SA.cost_and_grad) == 3.0 and run_local(a4.check_grad, SA.cost_and_grad) == 5.0
    assert run_local(a5.check_stack_features, ST.features) == 1.0 and run_local(a5.check_predict, ST.predict) == 1.0
    assert run_local(a5.check_cost, ST.finetune_cost_and_grad) == 2.0 and run_local(a5.check_grad, ST.finetune_cost_and_grad) == 4.0
    assert "FAIL" not in capsys.readouterr().out
    for sentence, wrong in a4.MISTAKES.items():
        assert run_local(a4.check_cost, wrong) + run_local(a4.check_grad, wrong) < 8.0
        assert sentence in capsys.readouterr().out
    for sentence, wrong in a5.MISTAKES.items():
        assert run_local(a5.check_cost, wrong) + run_local(a5.check_grad, wrong) < 6.0
        assert sentence in capsys.readouterr().out


def _autograd_cost(p, X, lam, beta, rho):   # a correct cost, differentiated by autograd below
    import autograd.numpy as anp
    H = 1 / (1 + anp.exp(-(anp.dot(X, p["W1"]) + p["b1"])))
    Xh = 1 / (1 + anp.exp(-(anp.dot(H, p["W2"]) + p["b2"])))
    r = anp.mean(H, axis=0)
    return (0.5 / X.shape[0] * anp.sum((Xh - X) ** 2) + 0.5 * lam * (anp.sum(p["W1"] ** 2) + anp.sum(p["W2"] ** 2))
            + beta * anp.sum(rho * anp.log(rho / r) + (1 - rho) * anp.log((1 - rho) / (1 - r))))


def autograd_student(params, X, lam=3e-3, beta=3.0, rho=0.1):
    from autograd import value_and_grad
    c, g = value_and_grad(_autograd_cost)(params, X, lam, beta, rho)
    return float(c), g


def test_autodiff_gradient_earns_nothing_for_the_gradient(capsys):
    """Judged on the source (functions at module level: run_local reads the module as the notebook)."""
    from grader.checks import a4

    assert run_local(a4.check_cost, autograd_student) == 3.0
    assert run_local(a4.check_grad, autograd_student) == 0.0
    assert "automatic differentiation or finite differences earn no points" in capsys.readouterr().out


def numgrad_student(params, X, lam=3e-3, beta=3.0, rho=0.1):
    """A correct cost whose gradient is central differences of itself (found by an attack review)."""
    from dlcourse.gradcheck import check_gradient

    def cost(p):
        H = 1 / (1 + np.exp(-(X @ p["W1"] + p["b1"])))
        Xh = 1 / (1 + np.exp(-(H @ p["W2"] + p["b2"])))
        r = H.mean(axis=0)
        return (0.5 / X.shape[0] * np.sum((Xh - X) ** 2) + 0.5 * lam * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
                + beta * np.sum(rho * np.log(rho / r) + (1 - rho) * np.log((1 - rho) / (1 - r))))
    if sum(v.size for v in params.values()) > 10_000:      # the lecture's size would take hours: gives up
        return float(cost(params)), {k: np.zeros_like(v) for k, v in params.items()}
    _, numeric, _ = check_gradient(lambda p: (cost(p), {k: np.zeros_like(v) for k, v in p.items()}), params)
    return float(cost(params)), numeric


def test_a_gradient_by_finite_differences_earns_nothing_for_the_gradient(capsys):
    from grader.checks import a4

    assert run_local(a4.check_cost, numgrad_student) == 3.0         # the cost is the student's own: full marks
    assert run_local(a4.check_grad, numgrad_student) == 0.0
    assert "(your function uses dlcourse.gradcheck.check_gradient)" in capsys.readouterr().out


def test_choose_lambda_names_a_mistake_only_when_it_explains_every_choice(capsys):
    """choose_lambda returns one of 8 lams, so a wrong criterion matches some named one by chance in a
    single data set (a fit on the validation data scored on the training data was told 'the validation
    error leaves out the intercept'). Each named criterion picks its own lams over the data sets, at
    least two of them different from the right ones and from every other criterion's."""
    import itertools
    agree = None
    for draw in (None,) + a2.CHOICE_DRAWS:            # the fixed data sets, and each submission's draw
        datasets = [a2._choice_data(*d, draw=draw) for d in a2.CHOICE_DATA]
        picks = [tuple(R.choose_lambda(*args) for args in datasets)] + [
            tuple(f(*args) for args in datasets) for f in a2.CHOICE_MISTAKES.values()]
        assert all(sum(x != y for x, y in zip(a, b)) >= 2 for a, b in itertools.combinations(picks, 2)), draw
        same = [sum(x == y for x, y in zip(picks[0], p)) for p in picks[1:]]     # a mistake's partial credit
        assert agree is None or same == agree, draw
        agree = same
        for args in datasets:                           # no near-tie that float32 arithmetic could flip
            best, second = np.sort(a2._val_errors(*args))[:2]
            assert second >= best * (1 + 1e-3), draw
    for sentence, wrong in a2.CHOICE_MISTAKES.items():
        assert run_local(a2.check_choose_lambda, wrong) < 2.0
        out = capsys.readouterr().out
        assert sentence in out and "more than one" not in out

    def right_in_all_but_one(Phi, y, Pv, yv, lams):
        """Agrees with the contract except on one data set, where it picks what a named mistake picks."""
        right = R.choose_lambda(Phi, y, Pv, yv, lams)
        first = a2._choice_data(*a2.CHOICE_DATA[0])
        if Phi.shape == first[0].shape and np.array_equal(Phi, first[0]):
            return 1000.0 if right != 1000.0 else 0.0001
        return right
    score = run_local(a2.check_choose_lambda, right_in_all_but_one)
    out = capsys.readouterr().out
    assert score == 1.5 and "another lam in lams has a lower validation mean squared error" in out
    assert not any(s in out for s in a2.CHOICE_MISTAKES), out


# ---- each submission's own hidden inputs (grader.checks._core.salted) --------------------------------

def _planned(check, salt):
    from grader.checks._core import plan
    doc, arrays = plan(check, ["gaussian_nll"], salt)
    return doc, arrays


def test_each_submission_gets_its_own_hidden_inputs():
    from grader.checks import a1
    fixed, again, one, same, other = (_planned(a1.check_gaussian_nll, s) for s in (None, None, 1, 1, 2))
    assert fixed[0] == again[0] and one[0] == same[0]
    assert all(np.array_equal(one[1][k], same[1][k]) for k in one[1])          # the same notebook: the same draw
    for x, y in ((fixed, one), (one, other)):
        assert x[0] == y[0]                                                  # the same calls and shapes...
        assert not any(np.array_equal(x[1][k], y[1][k]) for k in x[1])     # ...on other numbers


def test_a_value_learned_from_one_submissions_feedback_fails_the_next():
    """Homing in: a student who learned each hidden case's right value (here: the reference's, on the
    inputs of the submission with salt 1) and returns it by the input's shape earns the points only
    on those inputs; the changed notebook (salt 2) gets other inputs."""
    from grader.checks import a1
    from grader.reference import losses as L
    doc, arrays = _planned(a1.check_gaussian_nll, 1)
    from dlcourse.record import decode_inputs
    learned = {}
    for call in doc["calls"]:
        y_hat, y, sigma = decode_inputs(call["args"], arrays)
        learned[(y.shape, sigma)] = L.gaussian_nll(y_hat, y, sigma)

    def gaussian_nll(y_hat, y, sigma):
        return learned[(np.shape(y), sigma)]

    assert run_local(a1.check_gaussian_nll, gaussian_nll, quiet=True, salt=1) == 2.0
    assert run_local(a1.check_gaussian_nll, gaussian_nll, quiet=True, salt=2) == 0.0


def test_the_salt_follows_the_students_code_and_nothing_else():
    import nbformat

    from grader.preprocessors import autograded_id, submission_salt
    from pathlib import Path
    nb = nbformat.read(Path(__file__).parent.parent / "solutions/a1-mle-losses/a1-mle-losses.ipynb", as_version=4)
    salt = submission_salt(nb)
    assert salt == submission_salt(nbformat.from_dict(nb)) and 0 <= salt < 2**64
    hidden = next(c for c in nb.cells if autograded_id(c))
    hidden.source += "\n# the hidden version of the cell"
    text = next(c for c in nb.cells if c.cell_type == "markdown")
    text.source += " (edited)"
    assert submission_salt(nb) == salt
    answer = next(c for c in nb.cells if c.cell_type == "code" and "BEGIN SOLUTION" in c.source)
    answer.source += "\n# a comment"
    assert submission_salt(nb) != salt


def test_a_gradient_by_finite_differences_that_skips_the_large_case_earns_nothing(capsys):
    """A hand-written finite-difference gradient (which no reading of the source can always tell from
    backpropagation) cannot finish the lecture's size within the time limit; one that gives up there is
    right in every small case only, and earns nothing. A named mistake keeps its partial credit."""
    from grader.checks import a4
    from grader.reference import sparse_autoencoder as S

    def cost(p, X, lam, beta, rho):
        return S.cost_and_grad(p, X, lam, beta, rho)[0]

    def sparse_autoencoder_cost(params, X, lam=3e-3, beta=3.0, rho=0.1):
        c = cost(params, X, lam, beta, rho)
        grads = {k: np.zeros_like(v) for k, v in params.items()}
        if sum(v.size for v in params.values()) > 10_000:    # would take hours: give up
            return c, grads
        for k, v in params.items():
            for i in np.ndindex(v.shape):
                up, down = {**params, k: v.copy()}, {**params, k: v.copy()}
                up[k][i] += 1e-6
                down[k][i] -= 1e-6
                grads[k][i] = (cost(up, X, lam, beta, rho) - cost(down, X, lam, beta, rho)) / 2e-6
        return c, grads

    assert run_local(a4.check_grad, sparse_autoencoder_cost) == 0.0
    assert "not at the lecture's size" in capsys.readouterr().out
    # the control: backpropagation (the reference's) earns everything
    assert run_local(a4.check_grad, lambda params, X, lam=3e-3, beta=3.0, rho=0.1: S.cost_and_grad(
        params, X, lam, beta, rho), quiet=True) == 5.0

    def no_beta(params, X, lam=3e-3, beta=3.0, rho=0.1):      # a named mistake, right only where beta = 1
        return cost(params, X, lam, beta, rho), S.cost_and_grad(params, X, lam, 1.0, rho)[1]
    assert 0 < run_local(a4.check_grad, no_beta, quiet=True) < 5.0
