"""Checks for a2-regularization.

Contracts as judged here: penalties are any numeric scalar form, gradients and steps dicts
of arrays of params' shapes (float32 is accurate enough, _core.RTOL); weight_decay_step and
l1_step must not modify params or grads in place (the notebook says so in bold; judged from
the record's "mutated" field); ridge_fit's b may be any scalar form and w any shape holding n
numbers; choose_lambda returns the lam itself (as any numeric scalar form), chosen by the
validation mean squared error (a sum or a root ranks the same).
"""
import numpy as np

from ..reference import regularization as R
from ._core import (Case, StudentError, as_array, as_scalar, close, compare, describe, fresh, recorded_call, run_check,
                    salt, seeded)

A = "a2-regularization"


def _net(seed, with_zero=False):
    rng = seeded(seed)
    p = {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=3),
         "W2": rng.normal(size=(3, 2)), "b2": rng.normal(size=2)}
    if with_zero:
        p["W1"][0, 0] = 0.0
    return p


def _grads(seed):
    return {k: v * 0.5 for k, v in _net(seed + 100).items()}


def _all_keys(p):
    return [k for k in p]


def _BIAS_GRAD_FORMS(grad):
    """The two ways students leave the biases' zero gradients out of a penalty's gradient dict."""
    return {
        "the biases' gradient is the number 0: the contract asks for an array of zeros of each bias's shape "
        "(np.zeros_like(b))":
            lambda p, lam: {k: (v if k.startswith("W") else 0) for k, v in grad(p, lam).items()},
        "only the weights have gradients: the dict needs a gradient for every key of params, zeros for "
        "the biases":
            lambda p, lam: {k: v for k, v in grad(p, lam).items() if k.startswith("W")}}


ZERO_OVER_ZERO = {"invalid value encountered in divide": "W / |W| is 0/0 = NaN where a weight is exactly 0: "
                                                         "use np.sign(W), which is 0 there"}


def check_l2(l2_penalty, l2_penalty_grad):
    cases = []
    for seed, lam in ((1, 0.1), (2, 3.0)):
        p = _net(seed)
        cases.append(compare(f"l2_penalty, lam = {lam}", l2_penalty, R.l2_penalty, (p, lam), mistakes={
            "the biases are penalised too: only the weights (names starting with W) are":
                lambda p, lam: R.l2_penalty(p, lam, keys=_all_keys(p)),
            "missing the 1/2: the penalty is lam/2 * sum of squared weights":
                lambda p, lam: 2 * R.l2_penalty(p, lam),
            "the norms are not squared: the penalty is lam/2 * sum of SQUARED entries (||W||^2, not ||W||)":
                lambda p, lam: 0.5 * lam * sum(np.linalg.norm(v) for k, v in p.items() if k.startswith("W")),
            "the absolute values are summed: that is the L1 penalty; L2 sums the squares":
                lambda p, lam: 0.5 * lam * sum(np.sum(np.abs(v)) for k, v in p.items() if k.startswith("W")),
            "np.linalg.norm(W, 2) of a matrix is its largest singular value (the spectral norm), not the root "
            "of the sum of its squared entries: use np.sum(W**2) (or np.linalg.norm(W), the Frobenius norm)":
                lambda p, lam: 0.5 * lam * sum(np.linalg.norm(v, 2) ** 2 for k, v in p.items() if k.startswith("W"))}))
        cases.append(compare(f"l2_penalty_grad, lam = {lam}", l2_penalty_grad, R.l2_penalty_grad, (p, lam),
                             weight=1.5, mistakes={
            "the biases get a penalty gradient too: the gradient for every b must be 0":
                lambda p, lam: R.l2_penalty_grad(p, lam, keys=_all_keys(p)),
            "the gradient of lam/2 * w^2 is lam * w, not 2 * lam * w":
                lambda p, lam: {k: 2 * v for k, v in R.l2_penalty_grad(p, lam).items()},
            "the gradient of lam/2 * w^2 is lam * w, not lam/2 * w":
                lambda p, lam: {k: v / 2 for k, v in R.l2_penalty_grad(p, lam).items()},
            **_BIAS_GRAD_FORMS(R.l2_penalty_grad)}))
    return run_check(A, "test_l2", "l2_penalty and l2_penalty_grad", (l2_penalty, l2_penalty_grad), cases)


def check_l1(l1_penalty, l1_penalty_grad):
    cases = []
    for seed, lam in ((3, 0.1), (4, 2.0)):
        p = _net(seed, with_zero=True)
        cases.append(compare(f"l1_penalty, lam = {lam}", l1_penalty, R.l1_penalty, (p, lam), mistakes={
            "the biases are penalised too: only the weights (names starting with W) are":
                lambda p, lam: R.l1_penalty(p, lam, keys=_all_keys(p)),
            "the L1 penalty has no 1/2: it is lam * sum |w|":
                lambda p, lam: R.l1_penalty(p, lam) / 2,
            "the entries are not made positive: the penalty sums their ABSOLUTE values":
                lambda p, lam: lam * sum(np.sum(v) for k, v in p.items() if k.startswith("W")),
            "np.linalg.norm(W, 1) of a matrix is its largest column sum of |entries|, not the sum of all "
            "|entries|: use np.sum(np.abs(W))":
                lambda p, lam: lam * sum(np.linalg.norm(v, 1) for k, v in p.items() if k.startswith("W"))}))
        cases.append(compare(f"l1_penalty_grad, lam = {lam} (one weight exactly 0)", l1_penalty_grad,
                             R.l1_penalty_grad, (p, lam), weight=1.5, mistakes={
            "the gradient of lam*|w| is lam*sign(w), not lam*|w|":
                lambda p, lam: {k: (lam * np.abs(v) if k.startswith("W") else 0 * v) for k, v in p.items()},
            "the biases get a penalty gradient too: the gradient for every b must be 0":
                lambda p, lam: R.l1_penalty_grad(p, lam, keys=_all_keys(p)),
            "np.copysign(lam, W) is +lam or -lam where a weight is exactly 0; the subgradient the contract uses "
            "there is 0, as np.sign(W) gives":
                lambda p, lam: {k: (np.copysign(lam, v) if k.startswith("W") else 0 * v) for k, v in p.items()},
            **_BIAS_GRAD_FORMS(R.l1_penalty_grad)}, on_error=ZERO_OVER_ZERO))
    return run_check(A, "test_l1", "l1_penalty and l1_penalty_grad", (l1_penalty, l1_penalty_grad), cases)


NOT_IN_PLACE = {0: "params", 1: "grads"}


def check_weight_decay_step(fn):
    """The first case also fails if params or grads were changed in place (the notebook forbids it)."""
    cases = [compare(f"lr = {lr}, lam = {lam}", fn, R.weight_decay_step, (_net(s), _grads(s), lr, lam), mistakes={
        "the bias is decayed too: b <- b - lr * dJ/db, with no (1 - lr*lam) factor":
            lambda p, g, lr, lam: R.weight_decay_step(p, g, lr, lam, keys=_all_keys(p)),
        "the decay factor is (1 - lr*lam), not (1 - lam)":
            lambda p, g, lr, lam: {k: ((1 - lam) * v if k.startswith("W") else v) - lr * g[k]
                                   for k, v in p.items()},
        "the decay multiplies the old W only: W <- (1 - lr*lam) W - lr dJ/dW, not (1 - lr*lam)(W - lr dJ/dW)":
            lambda p, g, lr, lam: {k: (1 - lr * lam) * (v - lr * g[k]) if k.startswith("W") else v - lr * g[k]
                                   for k, v in p.items()},
        "the step goes uphill: subtract lr * dJ/dW":
            lambda p, g, lr, lam: {k: ((1 - lr * lam) * v if k.startswith("W") else v) + lr * g[k]
                                   for k, v in p.items()},
        "the decay factor is (1 - lr*lam): with (1 + lr*lam) the weights grow instead of shrinking":
            lambda p, g, lr, lam: {k: ((1 + lr * lam) * v if k.startswith("W") else v) - lr * g[k]
                                   for k, v in p.items()},
        "the data gradient is missing: W <- (1 - lr*lam) W - lr dJ/dW also follows the loss":
            lambda p, g, lr, lam: {k: (1 - lr * lam) * v if k.startswith("W") else v for k, v in p.items()}},
        readonly=NOT_IN_PLACE if i == 0 else None)
        for i, (s, lr, lam) in enumerate(((5, 0.1, 0.5), (6, 0.01, 2.0)))]
    return run_check(A, "test_weight_decay_step", "weight_decay_step", fn, cases)


def _soft_threshold(p, g, lr, lam):
    out = {}
    for k, v in p.items():
        u = v - lr * g[k]
        out[k] = np.sign(u) * np.maximum(np.abs(u) - lr * lam, 0.0) if k.startswith("W") else u
    return out


def _sign_after_step(p, g, lr, lam):
    out = {}
    for k, v in p.items():
        u = v - lr * g[k]
        out[k] = u - lr * lam * np.sign(u) if k.startswith("W") else u
    return out


def check_l1_step(fn):
    """The first case also fails if params or grads were changed in place (the notebook forbids it)."""
    cases = [compare(f"lr = {lr}, lam = {lam}", fn, R.l1_step, (_net(s, True), _grads(s), lr, lam), mistakes={
        "the penalty's gradient is lam*sign(w), not lam*|w|: with |w| every weight is pushed "
        "down whatever its sign, instead of towards 0":
            lambda p, g, lr, lam: {k: v - (lr * lam * np.abs(v) if k.startswith("W") else 0) - lr * g[k]
                                   for k, v in p.items()},
        "the bias is penalised too: b <- b - lr * dJ/db":
            lambda p, g, lr, lam: R.l1_step(p, g, lr, lam, keys=_all_keys(p)),
        "this is the proximal (soft-threshold) step; the contract asks for the plain subgradient step "
        "W - lr*lam*sign(W) - lr*dJ/dW":
            _soft_threshold,
        "the penalty's step is lr*lam*sign(W), not lam*sign(W): multiply it by lr":
            lambda p, g, lr, lam: {k: v - (lam * np.sign(v) if k.startswith("W") else 0) - lr * g[k]
                                   for k, v in p.items()},
        "the penalty is added with the wrong sign: W - lr*lam*sign(W) moves every weight towards 0":
            lambda p, g, lr, lam: {k: v + (lr * lam * np.sign(v) if k.startswith("W") else 0) - lr * g[k]
                                   for k, v in p.items()},
        "this is the L2 (weight-decay) step: the L1 step subtracts lr*lam*sign(W), not lr*lam*W":
            lambda p, g, lr, lam: R.weight_decay_step(p, g, lr, lam),
        "the sign is taken of the weights after the gradient step, sign(W - lr*dJ/dW): the penalty's "
        "subgradient is lam*sign(W) of the weights before it":
            _sign_after_step,
        "lr multiplies the penalty twice: the step is W - lr*lam*sign(W) - lr*dJ/dW":
            lambda p, g, lr, lam: {k: v - (lr * lr * lam * np.sign(v) if k.startswith("W") else 0) - lr * g[k]
                                   for k, v in p.items()}},
        readonly=NOT_IN_PLACE if i == 0 else None)
        for i, (s, lr, lam) in enumerate(((7, 0.1, 0.5), (8, 0.05, 1.0)))]
    return run_check(A, "test_l1_step", "l1_step", fn, cases)


def _wb(result):
    """(w, b) as one vector: w any array of the n weights ((n,) or a column), b any scalar form."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise StudentError("should return a tuple (w, b); it returned "
                           + (f"a {type(result).__name__} of {len(result)} items"
                              if isinstance(result, (tuple, list)) else "something else"))
    w, b = result
    if np.size(b) != 1 and np.size(w) == 1:
        raise StudentError("returned (b, w): the order is (w, b), the weights first and the intercept second")
    return np.r_[np.ravel(as_array(w, "w")), as_scalar(b, "intercept b")]


def _penalise_bias(Phi, y, lam):
    A = np.c_[Phi, np.ones(len(y))]
    sol = np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ y)
    return sol[:-1], sol[-1]


def _intercept_mean_y(Phi, y, lam):
    w = np.linalg.solve(Phi.T @ Phi + lam * np.eye(Phi.shape[1]), Phi.T @ (y - y.mean()))
    return w, y.mean()


def check_ridge_fit(fn):
    # Judged normwise (floor=1.0: against the largest entry of (w, b)): a solver's error is bounded
    # relative to the whole solution, and float32 normal equations reach 1e-6 of it (measured on
    # 3000 draws of these cases); a small coefficient alone can be off by 1e-4 of itself.
    rng = seeded(9)
    cases = []
    for m, n, lam in ((20, 4, 0.5), (15, 9, 3.0), (30, 3, 0.0)):
        Phi, y = rng.normal(size=(m, n)), rng.normal(size=m) + 2.0
        cases.append(compare(f"{m} samples, {n} features, lam = {lam}", fn, R.ridge_fit, (Phi, y, lam),
                             post=_wb, mistakes={
            "the intercept b is penalised too: leave it out of the lam/2 ||w||^2 term":
                _penalise_bias,
            "lam is ignored: this is the plain least-squares fit":
                lambda Phi, y, lam: R.ridge_fit(Phi, y, 0.0),
            "there is no intercept (b = 0): add a column of ones to Phi for b, unpenalised":
                lambda Phi, y, lam: (np.linalg.solve(Phi.T @ Phi + lam * np.eye(Phi.shape[1]), Phi.T @ y), 0.0),
            "lam is doubled: minimising 1/2||Phi w + b - y||^2 + lam/2 ||w||^2 gives A^T A + lam D, not 2 lam D":
                lambda Phi, y, lam: R.ridge_fit(Phi, y, 2 * lam),
            "lam is halved: minimising 1/2||Phi w + b - y||^2 + lam/2 ||w||^2 gives A^T A + lam D, not lam/2 D":
                lambda Phi, y, lam: R.ridge_fit(Phi, y, lam / 2),
            "lam is multiplied by m: this minimises the MEAN squared error plus lam/2 ||w||^2; the contract's "
            "objective is 1/2 times the SUM of squared errors plus lam/2 ||w||^2":
                lambda Phi, y, lam: R.ridge_fit(Phi, y, lam * len(y)),
            "b = mean(y) is the intercept only when the features are centred: centre Phi before fitting w "
            "(then b = mean(y) - mean(Phi) @ w), or add a column of ones for b":
                _intercept_mean_y}, floor=1.0))
    return run_check(A, "test_ridge_fit", "ridge_fit", fn, cases)


def _choose_by(criterion, fit=R.ridge_fit):
    """choose_lambda ranking the lams by criterion(Phi, y, Phi_v, y_v, w, b, lam) (a mistake model)."""
    def f(Phi, y, Pv, yv, lams):
        errs = [criterion(Phi, y, Pv, yv, *fit(Phi, y, lam), lam) for lam in lams]
        return float(lams[int(np.argmin(errs))])
    return f


def _val_errors(Phi, y, Pv, yv, lams):
    return [np.mean((Pv @ w + b - yv) ** 2) for w, b in (R.ridge_fit(Phi, y, lam) for lam in lams)]


def _fit_on_validation(Phi, y, Pv, yv, lams):
    errs = [np.mean((Phi @ w + b - y) ** 2) for w, b in (R.ridge_fit(Pv, yv, lam) for lam in lams)]
    return float(lams[int(np.argmin(errs))])


#: Each named criterion picks its own sequence of lams over these data sets (tests/test_checks.py
#: checks it): a choice among 8 lams matches some wrong criterion by chance in one data set, so a
#: mistake is named only if it explains the student's choice in every one.
CHOICE_MISTAKES = {
    "this is the lam with the lowest TRAINING error (always the smallest): choose on the validation data":
        _choose_by(lambda P, y, Pv, yv, w, b, lam: np.mean((P @ w + b - y) ** 2)),
    "the validation error leaves out the intercept: the predictions are Phi_val @ w + b":
        _choose_by(lambda P, y, Pv, yv, w, b, lam: np.mean((Pv @ w - yv) ** 2)),
    "this ranks by the mean ABSOLUTE validation error; the contract ranks by the mean SQUARED error":
        _choose_by(lambda P, y, Pv, yv, w, b, lam: np.mean(np.abs(Pv @ w + b - yv))),
    "this ranks by the penalised objective on the validation data; rank by the validation error alone "
    "(the penalty is not part of how well the fit predicts)":
        _choose_by(lambda P, y, Pv, yv, w, b, lam: 0.5 * np.sum((Pv @ w + b - yv) ** 2) + lam / 2 * np.sum(w ** 2)),
    "this ranks by the LARGEST validation error; the contract uses the mean squared error":
        _choose_by(lambda P, y, Pv, yv, w, b, lam: np.max(np.abs(Pv @ w + b - yv))),
    "this is the lam with the HIGHEST validation error: take the argmin, not the argmax":
        _choose_by(lambda P, y, Pv, yv, w, b, lam: -np.mean((Pv @ w + b - yv) ** 2)),
    "this is the position of the best lam in lams; return the lam itself":
        lambda *a: float(np.argmin(_val_errors(*a))),
    "this is the best validation error; return the lam that achieves it":
        lambda *a: float(np.min(_val_errors(*a))),
    "the training and validation data are swapped: fit on (Phi_train, y_train) and compute the error on "
    "(Phi_val, y_val)":
        _fit_on_validation,
    "these are the lams a ridge_fit that penalises the intercept would choose: b is not penalised (see "
    "ridge_fit's feedback)":
        _choose_by(lambda P, y, Pv, yv, w, b, lam: np.mean((Pv @ w + b - yv) ** 2), fit=_penalise_bias),
}

LAMS = [1e-4, 1e-2, 0.1, 1.0, 3.0, 10.0, 100.0, 1000.0]
#: (seed, training samples, features, validation samples, noise, intercept) of each data set
CHOICE_DATA = [(622, 12, 4, 40, 1.0, 5.0), (368, 20, 8, 20, 0.5, 2.0), (673, 15, 5, 30, 1.0, 5.0),
               (460, 15, 5, 50, 0.5, 2.0)]


#: Draws of the four data sets, for submissions (one by its salt: grader.checks._core.salted). Random
#: draws rarely tell every criterion apart as the fixed data sets do, so these were found by search
#: (5 in 60,000 draws): in each, every two criteria (the right one too) choose differently in at least
#: two data sets, every winner's validation error is at least 0.1% below the runner-up's, and each named
#: mistake agrees with the right choice in as many data sets as in CHOICE_DATA, so that it earns the
#: same partial credit on any draw (tests/test_checks.py checks each one). Without a salt (tests,
#: run_local), the data sets are CHOICE_DATA's own seeds.
CHOICE_DRAWS = (7848, 12499, 25119, 27954, 34582)


def _choice_data(seed, m, n, m_val, noise, intercept, draw=None):
    rng = np.random.default_rng(seed if draw is None else [draw, seed])
    w_true = rng.normal(size=n) * rng.uniform(0, 1, n)
    Phi, Phi_v = rng.normal(size=(m, n)), rng.normal(size=(m_val, n))
    y = Phi @ w_true + intercept + noise * rng.normal(size=m)
    y_v = Phi_v @ w_true + intercept + noise * rng.normal(size=m_val)
    return Phi, y, Phi_v, y_v, list(LAMS)


class _Choices:
    """The student's choose_lambda on every data set. Planned one call per case, as usual; when judged,
    all are read at the first case, so that each case can see the student's choices in all of them."""

    def __init__(self, fn, datasets):
        self.fn, self.datasets, self.read = fn, datasets, None

    def get(self, k):
        if self.fn.session.planning:
            recorded_call(self.fn, *self.datasets[k])      # plans this case's call (and stops)
        if self.read is None:
            self.read = []
            for args in self.datasets:
                try:
                    value, res = recorded_call(self.fn, *args)
                    self.read.append((value, res, None))
                except StudentError as exc:
                    self.read.append((None, {}, exc))
        value, res, exc = self.read[k]
        self.fn.session.last = res
        if exc is not None:
            raise exc
        return _lam_of(value)

    def chose_everywhere(self, model):
        """True if model's choice is the student's in every data set."""
        for k, args in enumerate(self.datasets):
            value, _, exc = self.read[k]
            try:
                if exc is not None or not close(_lam_of(value), model(*fresh(args)), rtol=1e-12, atol=0.0):
                    return False
            except StudentError:
                return False
        return True


def _lam_of(value):
    got = as_array(value, "chosen lam")
    return got.reshape(()) if got.size == 1 else got


def _beaten(args):
    """The message for a chosen lam that no named mistake explains: which lam was beaten, not the winner."""
    def explain(got, expected):
        Phi, y, Pv, yv, lams = args
        if np.ndim(got) != 0:
            return describe(got, expected, rtol=1e-12, atol=0.0)
        errors = _val_errors(Phi, y, Pv, yv, lams)
        same = [i for i, lam in enumerate(lams) if close(got, lam, rtol=1e-12, atol=0.0)]
        if not same:
            return (f"your function returned {float(got):g}, which is not one of the lams it was given: return "
                    "the lam itself, the one whose fit on the training data has the lowest validation mean "
                    "squared error")
        lower = 1 - min(errors) / errors[same[0]]
        return (f"your function chose lam = {float(got):g}, but another lam in lams has a lower validation mean "
                f"squared error (about {lower:.0%} lower) when ridge_fit is fitted on the training data: return "
                "the lam with the lowest validation MSE (the first if several tie)")
    return explain


def check_choose_lambda(fn):
    """Data sets where the criteria students use pick different lams than the validation MSE and than
    each other; a mistake is named only if it explains the student's choice in every data set."""
    draw = None if salt() is None else CHOICE_DRAWS[salt() % len(CHOICE_DRAWS)]
    datasets = [_choice_data(*d, draw=draw) for d in CHOICE_DATA]
    choices = _Choices(fn, datasets)
    cases = []
    for k, args in enumerate(datasets):
        def run(_, k=k, args=args):
            return choices.get(k), np.asarray(R.choose_lambda(*fresh(args)))

        def named(model, k=k, args=args):
            return lambda: model(*fresh(args)) if choices.chose_everywhere(model) else np.nan
        cases.append(Case(f"validation set {k + 1}", run, 1.0,
                          {s: named(f) for s, f in CHOICE_MISTAKES.items()},
                          rtol=1e-12, atol=0.0, explain=_beaten(args)))
    return run_check(A, "test_choose_lambda", "choose_lambda", fn, cases)
