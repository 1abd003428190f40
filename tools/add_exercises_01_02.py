"""One-off edit (kept for the record) of lectures 01 and 02: guard their numbers, add exercises.

    python tools/add_exercises_01_02.py

1. Numbers audit. Every number or comparison the text states as fact is computed by a code
   cell and guarded by an `assert` next to it, so that executing the notebook fails if text
   and computation drift apart. Claims the audit found wrong are corrected in the text.
2. Exercises. Each lecture ends (after its Summary) with "## Exercises · 练习": derive,
   predict-then-run and change-a-constant questions, some with a self-check cell. The worked
   answers are in instructors/answers/ (never part of the student bundle).

Idempotent: each edit first checks whether it is already in place, inserted cells replace
themselves (recognised by their first line), and the Exercises section is rebuilt from
scratch. The notebooks are then cleaned with tools/clean_notebooks.py.
"""
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import clean_notebooks  # noqa: E402

EXERCISES = "## Exercises · 练习"


# ---------------------------------------------------------------- editing helpers

def cell_index(nb, needle, cell_type=None):
    """Index of the one cell whose source contains needle (stop if there is not exactly one)."""
    hits = [i for i, c in enumerate(nb.cells)
            if needle in c.source and (cell_type is None or c.cell_type == cell_type)]
    if len(hits) != 1:
        raise SystemExit(f"expected one cell containing {needle!r}, found {len(hits)}")
    return hits[0]


def replace_text(nb, old, new):
    """Replace old by new in the cell that holds old, unless new is already there."""
    if any(new in c.source for c in nb.cells):
        return
    i = cell_index(nb, old)
    nb.cells[i].source = nb.cells[i].source.replace(old, new)


def set_code(nb, needle, source):
    """The one code cell containing needle gets this source (needle must occur in source too)."""
    assert needle in source, needle
    nb.cells[cell_index(nb, needle, "code")].source = source.strip("\n")


def put_code_after(nb, anchor, source):
    """The cell right after the one containing anchor becomes a code cell with this source:
    replaced if it starts with the same first line (a previous run), inserted otherwise."""
    source = source.strip("\n")
    assert anchor not in source, anchor
    i = cell_index(nb, anchor)
    first = source.split("\n", 1)[0]
    if i + 1 < len(nb.cells) and nb.cells[i + 1].source.split("\n", 1)[0] == first:
        nb.cells[i + 1] = new_code_cell(source)
    else:
        nb.cells.insert(i + 1, new_code_cell(source))


def split_before(nb, marker):
    """Split the markdown cell that holds marker (not at its start) into two, the second starting at marker."""
    if any(c.cell_type == "markdown" and c.source.startswith(marker) for c in nb.cells):
        return
    i = cell_index(nb, marker, "markdown")
    head, tail = nb.cells[i].source.split(marker, 1)
    nb.cells[i].source = head.rstrip("\n")
    nb.cells.insert(i + 1, new_markdown_cell(marker + tail))


def set_exercises(nb, cells):
    """Drop a previous Exercises section (it runs to the end) and append this one."""
    heads = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith(EXERCISES)]
    if heads:
        del nb.cells[heads[0]:]
    nb.cells.extend(cells)


def md(text):
    return new_markdown_cell(text.strip("\n"))


def code(text):
    return new_code_cell(text.strip("\n"))


INTRO = md(r"""
## Exercises · 练习

Three kinds: **derive** (pen and paper), **predict, then run** (write your prediction down *before* running the cell), and **change a constant** (edit the marked line, rerun, explain what changed and why). The self-check cells run as they are; some wait for you to fill in a line first.
""")


# ================================================================ lecture 1

def lecture_01(nb):
    # --- departures box: the slides' Bernoulli loss does not push *every* prediction to 1
    replace_text(nb, 'Without the $y^{(i)}$ the "loss" rewards predicting $h=1$ for every example (shown in §3).',
                 r'Without the $y^{(i)}$ the "loss" charges $-\log h$ to every example, whatever its label, and so '
                 r'pushes every prediction towards 1: a model whose labels are all 0 would still be best off '
                 r'predicting $h=1/2$ (shown in §3).')

    # --- §1: values between half the smallest subnormal and it round up, not to 0; the product's size
    replace_text(nb, r"and below about $4.9\times10^{-324}$ they are exactly 0; this product is far smaller)",
                 r"and below about $2.5\times10^{-324}$, half the smallest subnormal $4.9\times10^{-324}$, they "
                 r"round to exactly 0; this product, about $10^{-485}$, is far smaller)")
    set_code(nb, "smallest_normal, smallest = np.finfo(float).tiny", r'''
smallest_normal, smallest = np.finfo(float).tiny, np.nextafter(0.0, 1.0)
print(f"smallest normal float64: {smallest_normal:.4g}, smallest subnormal: {smallest:.4g}, half of it: {smallest / 2}")
assert 2.2e-308 < smallest_normal < 2.3e-308 and 4.9e-324 <= smallest <= 5e-324 and smallest / 2 == 0.0
assert smallest * 0.6 == smallest            # between half the smallest subnormal and it: rounds up, not to 0
log10_product = np.sum(np.log10(p))          # the size of the product above, computed without underflow
print(f"the product of the 2000 probabilities is about 10^{log10_product:.1f}")
assert np.prod(p) == 0.0 and np.isfinite(np.sum(np.log(p))) and round(log10_product) == -485
''')

    # --- §2: "agree with least squares to optimizer precision"
    set_code(nb, "def gaussian_neg_log_likelihood(theta, sigma):", r'''
m = 40
x = rng.uniform(-2, 2, m)
y = 1.0 + 2.0 * x + rng.normal(0, 0.7, m)            # true theta = (1, 2), noise sd 0.7
X = np.c_[np.ones(m), x]                              # a column of ones for theta_0


def gaussian_neg_log_likelihood(theta, sigma):
    r = y - X @ theta
    return m * np.log(np.sqrt(2 * np.pi) * sigma) + np.sum(r ** 2) / (2 * sigma ** 2)


theta_ls = np.linalg.lstsq(X, y, rcond=None)[0]       # least squares, solved by linear algebra
print("least squares       theta =", theta_ls)
gaps = {}
for sigma in (0.2, 1.0, 5.0):
    res = optimize.minimize(gaussian_neg_log_likelihood, np.zeros(2), args=(sigma,), method="BFGS",
                            options={"gtol": 1e-9})
    gaps[sigma] = np.max(np.abs(res.x - theta_ls))
    print(f"max likelihood s={sigma:<3} theta =", res.x, " max |difference| =", f"{gaps[sigma]:.1e}")
assert max(gaps.values()) < 1e-6                      # the text below: equal to optimizer precision
''')

    # --- §2 figure: same minimiser for every sigma, curvature scaled by 1/sigma^2
    replace_text(nb, '''    axes[0].plot(slopes, nll - nll.min(), label=f"σ = {sigma}")''',
                 '''    axes[0].plot(slopes, nll - nll.min(), label=f"σ = {sigma}")
    # the caption, computed: every σ has its minimum at the least-squares slope (to the grid's step),
    # and the curvature in the slope is sum(x²)/σ², so a smaller σ gives a steeper valley
    assert abs(slopes[np.argmin(nll)] - theta_ls[1]) <= slopes[1] - slopes[0]
    f = lambda s: gaussian_neg_log_likelihood(np.array([theta_ls[0], s]), sigma)  # noqa: E731
    curvature = (f(theta_ls[1] + 1e-3) - 2 * f(theta_ls[1]) + f(theta_ls[1] - 1e-3)) / 1e-6
    assert np.isclose(curvature, np.sum(x ** 2) / sigma ** 2, rtol=1e-4)''')

    # --- §2: the two conventions differ by 2/m, value and gradient
    put_code_after(nb, "They differ by the constant factor $2/m$", r'''
# The paragraph above, computed: (1/m) sum (h - y)^2 is 2/m times 1/2 sum (h - y)^2, and so is its gradient
half_sum = lambda t: 0.5 * np.sum((X @ t - y) ** 2)   # noqa: E731
mean_sq = lambda t: np.mean((X @ t - y) ** 2)         # noqa: E731
theta = np.array([0.5, 1.0])
ratio_value = mean_sq(theta) / half_sum(theta)
ratio_grad = numerical_gradient(mean_sq, theta) / numerical_gradient(half_sum, theta)
print(f"ratio of the values: {ratio_value:.5f}, of the gradients: {ratio_grad}, 2/m = {2 / m:.5f}")
assert np.isclose(ratio_value, 2 / m) and np.allclose(ratio_grad, 2 / m)
''')

    # --- §3: minimisers 1/2 and 2/3, and 1/(2 - ybar) for any fraction of ones
    replace_text(nb, '''print("minimiser, correct loss:", h[np.argmin(right)], "  slides' version:", h[np.argmin(slides)])''',
                 '''print("minimiser, correct loss:", h[np.argmin(right)], "  slides' version:", h[np.argmin(slides)])
# the text below, computed: minimisers 1/2 and (to the grid's step) 2/3 = 1/(2 - ybar) here, and
# 1/(2 - ybar) for other fractions ybar of ones, 1/2 when every label is 0
assert np.isclose(h[np.argmin(right)], 0.5) and abs(h[np.argmin(slides)] - 2 / 3) < 0.01
for ybar in (0.0, 0.25, 0.5, 0.9):
    res = optimize.minimize_scalar(lambda v: -(np.log(v) + (1 - ybar) * np.log(1 - v)),
                                   bounds=(1e-9, 1 - 1e-9), method="bounded", options={"xatol": 1e-10})
    assert abs(res.x - 1 / (2 - ybar)) < 1e-6''')

    # --- §3 overflow: the naive values, and the true ones at 400 digits
    set_code(nb, "naive log sigma(z) = {np.log(s):.6g}", r'''
naive = {}
with np.errstate(over="ignore", divide="ignore"):
    for z in (-800.0, -40.0, 40.0):
        s = 1 / (1 + np.exp(-z))
        naive[z] = (s, np.log(s), np.log(1 - s))
        print(f"z = {z:6}:  sigma(z) = {s:.3e},  naive log sigma(z) = {np.log(s):.6g},  "
              f"naive log(1 - sigma(z)) = {np.log(1 - s):.6g}")
    assert np.exp(800.0) == np.inf
# The text below, computed. The true values, by SymPy at 400 digits: log sigma(-800) = -log(1 + e^800)
# and log(1 - sigma(40)) = -40 - log(1 + e^-40).
true_800 = -sp.log(1 + sp.exp(800)).evalf(400)
digits = -sp.log(abs(true_800 + 800) / 800, 10).evalf(5)           # digits in which it equals -800
true_40 = -(40 + sp.log(1 + sp.exp(-40))).evalf(30)
print(f"log sigma(-800) = -800 - {sp.N(-(true_800 + 800), 3)} (equal to -800 in {float(digits):.1f} digits), "
      f"log(1 - sigma(40)) = {sp.N(true_40, 20)}")
assert naive[-800.0][0] == 0.0 and naive[-800.0][1] == -np.inf and 350 <= digits < 351
assert 1 - naive[40.0][0] == 0.0 and naive[40.0][2] == -np.inf and abs(true_40 + 40) < 1e-17
''')
    replace_text(nb, r"Assignment a1 asks you to implement both versions and test them at $z=\pm1000$.",
                 r"Assignment a1 asks you to implement the loss both from probabilities and from logits, the "
                 r"second finite and accurate at $z=\pm1000$.")

    # --- §4 check 1: the symbolic differences are 0
    set_code(nb, "dJ/d{v} - (P - Y) simplifies to:", r'''
z0, z1, z2 = sp.symbols("z0 z1 z2", real=True)
zs = [z0, z1, z2]
loss_one = -sp.log(sp.exp(z0) / sum(sp.exp(v) for v in zs))          # label 0
softmax_sym = [sp.exp(v) / sum(sp.exp(w) for w in zs) for v in zs]
onehot = [1, 0, 0]
for v, Pj, Yj in zip(zs, softmax_sym, onehot):
    difference = sp.simplify(sp.diff(loss_one, v) - (Pj - Yj))
    print(f"dJ/d{v} - (P - Y) simplifies to:", difference)
    assert difference == 0
''')

    # --- §4 check 2: "around 1e-10", and a wrong gradient gives an error of order 1
    replace_text(nb, '''print(f"relative error between finite differences and (P - Y)/m: {err:.1e}")''',
                 '''print(f"relative error between finite differences and (P - Y)/m: {err:.1e}")
err_wrong = relative_error(numerical_gradient(J, Z), P / m)          # a wrong gradient: Y forgotten
print(f"and against the wrong gradient P/m:                     {err_wrong:.2f}")
assert 1e-11 < err < 1e-9 and err_wrong > 0.1                        # the text below''')
    replace_text(nb, "Around $10^{-10}$: the formula is right (a wrong gradient gives errors of order 1, and "
                     "$10^{-5}$ or more means a bug).",
                 "Around $10^{-10}$: the formula is right (a wrong gradient gives errors of order 1, like the "
                 "$P/m$ above with its $Y$ forgotten, and $10^{-5}$ or more means a bug).")

    # --- §4 overflow thresholds, nan, the largest shifted term
    replace_text(nb, '''print("float32, exp(100):     ", exp32)''',
                 '''print("float32, exp(100):     ", exp32)
# The text around this cell, computed
with np.errstate(over="ignore"):
    assert np.isfinite(np.exp(709.78)) and np.exp(709.79) == np.inf               # float64: overflow above 709.78
    assert np.isfinite(np.exp(np.float32(88.72))) and np.exp(np.float32(88.73)) == np.inf  # float32: at 88.7
assert 3.4e38 < float(np.finfo(np.float32).max) < 3.5e38 and exp32 == np.inf
assert np.all(np.isnan(naive[:2])) and np.exp(z - z.max()).max() == 1.0        # inf/inf; the largest term is 1''')

    # --- §4 log of the stable softmax: the text said only the third class gives -inf; so does the second
    set_code(nb, 'print("log of the stable softmax:"', r'''
z = np.array([[1000.0, 0.0, -1000.0]])
with np.errstate(divide="ignore"):
    log_stable = np.log(np.exp(z - z.max()) / np.exp(z - z.max()).sum())
log_lse = z - special.logsumexp(z, axis=1, keepdims=True)
print("log of the stable softmax:", log_stable)
print("z - logsumexp(z):         ", log_lse)
assert np.all(log_stable[0, 1:] == -np.inf) and np.array_equal(log_lse, [[0.0, -1000.0, -2000.0]])
''')
    replace_text(nb, r"Even the stable softmax gives $\log 0 = -\infty$ for the third class, whose probability "
                     r"$e^{-2000}$ underflows; $z - \operatorname{logsumexp}(z)$ gives the exact $-2000$.",
                 r"Even the stable softmax gives $\log 0 = -\infty$ for the second and the third class, whose "
                 r"probabilities $e^{-1000}$ and $e^{-2000}$ underflow; $z - \operatorname{logsumexp}(z)$ gives "
                 r"the exact $-1000$ and $-2000$.")

    set_exercises(nb, [INTRO] + EXERCISES_01)


EXERCISES_01 = [
    md(r"""
**1. The noise level by maximum likelihood** (derive). In §2 the noise level $\sigma$ was fixed. Treat it as a parameter too and maximise $\log L(\theta, \sigma)$ over both.

(a) Show that the maximising $\theta$ is still the least-squares solution $\hat\theta$.

(b) Show that the maximising $\sigma$ is given by a simple formula in the residuals $r_i = y_i - h_{\hat\theta}(x_i)$, and find it.

(c) Write your $\hat\sigma$ in the cell below, in terms of `r` and `m_ex`; the cell compares it with a numerical maximisation of the likelihood over $(\theta_0, \theta_1, \log\sigma)$.
"""),
    code(r'''
# Self-check for exercise 1: fresh data like §2's (true sigma 0.7), fitted by least squares
rng_ex = np.random.default_rng(3)
m_ex = 40
x_ex = rng_ex.uniform(-2, 2, m_ex)
y_ex = 1.0 + 2.0 * x_ex + rng_ex.normal(0, 0.7, m_ex)
X_ex = np.c_[np.ones(m_ex), x_ex]
theta_hat = np.linalg.lstsq(X_ex, y_ex, rcond=None)[0]
r = y_ex - X_ex @ theta_hat                            # the residuals

sigma_hat = None                                       # YOUR FORMULA, from r and m_ex


def nll_ex(params):
    """-log L at params = (theta_0, theta_1, log sigma); log sigma keeps sigma positive."""
    theta, sigma = params[:2], np.exp(params[2])
    return m_ex * np.log(np.sqrt(2 * np.pi) * sigma) + np.sum((y_ex - X_ex @ theta) ** 2) / (2 * sigma ** 2)


best_params = optimize.minimize(nll_ex, np.zeros(3), method="BFGS", options={"gtol": 1e-9}).x
if sigma_hat is None:
    print("Write your formula for sigma_hat, then run this cell again.")
elif np.isclose(sigma_hat, np.exp(best_params[2]), rtol=1e-4):
    print("Your sigma_hat maximises the likelihood.")
else:
    print("That is not where the likelihood is largest: check (b).")
'''),
    md(r"""
**2. Two classes: the softmax is the sigmoid** (derive). Take $k = 2$ classes with logits $(z_0, z_1)$.

(a) Show that $\operatorname{softmax}(z)_1 = \sigma(z_1 - z_0)$, so a two-class softmax is the logistic unit of §3 with logit $d = z_1 - z_0$.

(b) Show that the softmax cross-entropy of one example with label $y \in \{0, 1\}$ equals the binary cross-entropy of §3 with $h = \sigma(d)$.

(c) Write out $\partial J/\partial z_0$ and $\partial J/\partial z_1$ from the gradient $(P - Y)/m$ of §4 and compare them with the Bernoulli gradient $(\sigma(d) - y)/m$ derived at the end of §4. Why must the two partial derivatives sum to zero? (Hint: what happens to the loss when the same constant is added to both logits?)
"""),
    md(r"""
**3. Shifting and scaling the logits** (predict, then run). Take the logits $z = (2, 1, 0)$ and the label 0. Before running the cell below, predict for each of $z$, $z + 100$, $10z$ and $z/10$:

(a) roughly what the three softmax probabilities are;

(b) whether the loss $-\log P_0$ is larger than, smaller than or equal to its value for $z$.

Then run the cell and explain each result with a formula from §4. Dividing the logits by a constant $T > 0$ is called a softmax *temperature*: what happens to the probabilities as $T \to 0$ and as $T \to \infty$?
"""),
    code(r'''
# Self-check for exercise 3: run it after writing down your predictions
z_ex = np.array([2.0, 1.0, 0.0])
for name, logits in [("z", z_ex), ("z + 100", z_ex + 100), ("10 z", 10 * z_ex), ("z / 10", z_ex / 10)]:
    loss_0 = special.logsumexp(logits) - logits[0]           # -log P_0, computed stably
    print(f"{name:8s} softmax = {np.round(special.softmax(logits), 4)},  -log P_0 = {loss_0:.4g}")
'''),
    md(r"""
**4. When does the product underflow?** (change a constant). In §1 the product of 2000 probabilities drawn uniformly from $[0.3, 0.9]$ was exactly 0.

(a) Compute the mean of $\log p$ for $p$ uniform on $[0.3, 0.9]$, $\frac{1}{0.6}\int_{0.3}^{0.9}\log p\,dp$. With it and the float64 limit of §1 (a product below about $2.5\times10^{-324}$ is 0), predict how many probabilities $n$ it takes for the product to become exactly 0.

(b) Change `n_obs` in the cell to values around your prediction. The cell also prints the first $n$ at which the running product is 0. How close was your prediction, and why can it not be exact?

(c) Set `dtype = np.float32`, the usual precision on GPUs, whose smallest subnormal is about $1.4\times10^{-45}$. Predict $n$ again, then run.
"""),
    code(r'''
# Self-check for exercise 4: change n_obs and dtype
n_obs = 2000                                     # change me
dtype = np.float64                               # then try np.float32
p_ex = np.random.default_rng(0).uniform(0.3, 0.9, size=n_obs).astype(dtype)
running = np.cumprod(p_ex)                       # the running product, in dtype
print(f"{n_obs} probabilities in {np.dtype(dtype).name}: product = {running[-1]}, "
      f"sum of logs = {np.sum(np.log(p_ex)):.1f}")
zeros = np.flatnonzero(running == 0)
print("first n at which the product is exactly 0:", zeros[0] + 1 if zeros.size else f"none up to {n_obs}")
'''),
    md(r"""
**5. What a gradient check says about a missing $1/m$** (predict, then run). Suppose the loss of §4 were written as a *sum* over the samples, $-\sum_i \log P_{i,y_i}$, while the gradient kept the mean's $(P - Y)/m$.

(a) Predict, as a number, the relative error $\|a - b\|/\|a + b\|$ that the gradient check of §4 reports for $m = 6$ samples, and explain why it does not depend on the logits or the labels.

(b) Run the cell. Then predict the error for $m = 100$, set `m_ex = 100` and check. Does the rule "$10^{-5}$ or more means a bug" catch this mistake?
"""),
    code(r'''
# Self-check for exercise 5: the loss as a sum, the gradient as for the mean
m_ex, k_ex = 6, 4                                # change m_ex
rng_ex = np.random.default_rng(2)
Z_ex = rng_ex.normal(size=(m_ex, k_ex)) * 3
labels_ex = rng_ex.integers(0, k_ex, m_ex)


def J_sum(Z):
    return -np.sum(Z[np.arange(m_ex), labels_ex] - special.logsumexp(Z, axis=1))


grad_of_the_mean = (special.softmax(Z_ex, axis=1) - np.eye(k_ex)[labels_ex]) / m_ex
print(f"m = {m_ex}: relative error = {relative_error(numerical_gradient(J_sum, Z_ex), grad_of_the_mean):.4f}")
'''),
    md(r"""
**6. What the slides' loss really fits** (derive, then change a constant). In §3 every example got the same prediction $h$, and a fraction $\bar y$ of the labels were 1.

(a) Show that the correct loss $-[\bar y\log h + (1 - \bar y)\log(1 - h)]$ is minimised at $h = \bar y$.

(b) Derive the minimiser $1/(2 - \bar y)$ of the slides' version $-[\log h + (1 - \bar y)\log(1 - h)]$ quoted in §3. For which $\bar y$ do the two minimisers agree?

(c) Change `frac_ones` in the cell (try 0.1, 0.9 and 1.0) and compare the printed minimisers with your two formulas.
"""),
    code(r'''
# Self-check for exercise 6: the minimisers on a grid of h, for a chosen fraction of ones
frac_ones = 0.5                                  # change me
labels_ex = (np.arange(1000) < frac_ones * 1000).astype(float)[:, None]
h_grid = np.linspace(0.001, 0.999, 999)
correct = -np.mean(labels_ex * np.log(h_grid) + (1 - labels_ex) * np.log(1 - h_grid), axis=0)
as_on_the_slides = -np.mean(np.log(h_grid) + (1 - labels_ex) * np.log(1 - h_grid), axis=0)
print(f"fraction of ones {labels_ex.mean():.3f}: the correct loss is smallest at h = {h_grid[np.argmin(correct)]:.3f}, "
      f"the slides' version at h = {h_grid[np.argmin(as_on_the_slides)]:.3f}")
'''),
]


# ================================================================ lecture 2

def lecture_02(nb):
    # --- §1: degree 9 is not the worst on validation data (degrees 7 and 8 are worse)
    replace_text(nb, "The training error alone would pick degree 9; the validation error shows it is the worst.",
                 "The training error alone would pick degree 9; the validation error picks degree 3, and rates "
                 "degree 9 worse even than the constant fit (degree 0).")
    replace_text(nb, '''    val_err.append(np.sqrt(np.mean((pred_val - y_val) ** 2)))
''', '''    val_err.append(np.sqrt(np.mean((pred_val - y_val) ** 2)))
# The text above and the title below, computed
assert np.argmin(train_err) == 9 and train_err[9] < 1e-6        # degree 9 goes through all 10 points
assert np.all(np.diff(train_err) <= 1e-12)                        # training error never rises with d
assert np.argmin(val_err) == 3 and val_err[9] > val_err[0]        # validation picks 3; 9 is worse than a constant
''')

    # --- §1: Ridge(alpha=λ) minimises the written objective, intercept unpenalised
    put_code_after(nb, "scikit-learn's `Ridge` minimises exactly this", r'''
# The claim above, computed: at Ridge's solution the gradient of the written objective is 0 (it is convex,
# so that is its minimum). With alpha = 2λ, or a penalised intercept, the gradient would not vanish.
Phi, lam_check = features(x_train, 9), 0.01
fit = Ridge(alpha=lam_check).fit(Phi, y_train)
objective = lambda t: (0.5 * np.sum((Phi @ t[:-1] + t[-1] - y_train) ** 2)   # noqa: E731
                       + lam_check / 2 * t[:-1] @ t[:-1])                    # t = (theta_1..theta_9, theta_0)
grad_at_fit = numerical_gradient(objective, np.r_[fit.coef_, fit.intercept_])
print(f"largest gradient component at Ridge's solution: {np.max(np.abs(grad_at_fit)):.1e}")
assert np.max(np.abs(grad_at_fit)) < 1e-6
''')

    # --- §1: the λ sweep's caption
    replace_text(nb, '''best = lams[int(np.argmin(va))]
''', '''best = lams[int(np.argmin(va))]
# The caption below, computed
i_best = int(np.argmin(va))
assert 0 < i_best < len(lams) - 1 and np.all(np.diff(tr) >= -1e-12)   # an inner best; training error only rises
assert tr[0] < 0.01 and va[0] > 2 * va[i_best]                         # small λ: overfit
assert tr[-1] > 2 * tr[i_best] and va[-1] > 1.5 * va[i_best]           # large λ: both errors high
''')

    # --- §2: the two forms agree, the bias moves the same
    replace_text(nb, '''print("b: with and without the penalty ", b_step, b_plain)''',
                 '''print("b: with and without the penalty ", b_step, b_plain)
assert np.allclose(w_step, w_decay, rtol=0, atol=1e-9) and abs(b_step - b_plain) < 1e-12''')

    # --- departure 4 of the box: shrink, flip, grow
    replace_text(nb, '''plt.title("Weight decay alone: w shrinks by (1 − αλ) each step")
plt.legend()
plt.grid(alpha=0.3)
plt.show()''', '''plt.title("Weight decay alone: w shrinks by (1 − αλ) each step")
plt.legend()
plt.grid(alpha=0.3)
plt.show()
# Departure 4 of the box, computed: w_t / w_0 = (1 - αλ)^t for t = 1..20
ratio = {a_l: (1 - a_l) ** np.arange(1, 21) for a_l in (0.1 * 1e-4, 0.5, 1.5, 2.5)}
assert np.all(ratio[0.5] > 0) and ratio[0.5][-1] < 1e-5                # 0 < αλ < 1: shrinks, keeps its sign
assert ratio[1.5][0] < 0 and abs(ratio[1.5][-1]) < 1e-3                # 1 < αλ < 2: flips sign, still shrinks
assert ratio[2.5][0] < 0 and abs(ratio[2.5][-1]) > 1e3                 # αλ > 2: flips and grows
assert 0.999 < ratio[0.1 * 1e-4][-1] < 1                               # α = 0.1, λ = 1e-4: far inside''')

    # --- §3: L2 shrinks the vector, not every weight
    replace_text(nb, "L2 shrinks all weights, relevant ones included, but leaves none at zero. L1 sets most "
                     "irrelevant weights to **exactly** 0.0, and so selects features.",
                 r"L2 shrinks the weight vector as a whole (here $\|w\|_2$ falls from 3.91 to 3.49), and each "
                 r"relevant weight with it, but leaves none at zero. It does not shrink every weight: some "
                 r"irrelevant ones even grow (the largest, from 0.165 to 0.247). L1 sets 16 of the 17 irrelevant "
                 r"weights to **exactly** 0.0, and so selects features.")
    replace_text(nb, '''          f"largest weight on an irrelevant feature: {np.max(np.abs(np.delete(coef, [2, 7, 13]))):.3f}")''',
                 '''          f"largest weight on an irrelevant feature: {np.max(np.abs(np.delete(coef, [2, 7, 13]))):.3f}")
# The text below, computed
relevant, irrelevant = [2, 7, 13], np.delete(idx, [2, 7, 13])
norm_ols, norm_ridge = np.linalg.norm(ols.coef_), np.linalg.norm(ridge.coef_)
print(f"||w||_2: least squares {norm_ols:.2f}, L2 {norm_ridge:.2f}")
assert np.all(ols.coef_ != 0) and np.max(np.abs(ols.coef_[irrelevant])) < np.min(np.abs(ols.coef_[relevant])) / 5
assert (round(norm_ols, 2), round(norm_ridge, 2)) == (3.91, 3.49)
assert np.all(np.abs(ridge.coef_[relevant]) < np.abs(ols.coef_[relevant])) and np.all(ridge.coef_ != 0)
largest = [round(np.max(np.abs(c[irrelevant])), 3) for c in (ols.coef_, ridge.coef_)]
assert largest == [0.165, 0.247]                                         # an irrelevant weight grows under L2
assert np.all(lasso.coef_[relevant] != 0) and np.sum(lasso.coef_[irrelevant] == 0) == 16''')

    # --- §3: the paths' titles
    replace_text(nb, '''axes[1].set(xlabel="λ (log scale)", ylabel="weights", title="L2: weights shrink smoothly, none is exactly 0")
plt.tight_layout()
plt.show()''', '''axes[1].set(xlabel="λ (log scale)", ylabel="weights", title="L2: weights shrink smoothly, none is exactly 0")
plt.tight_layout()
plt.show()
# the titles, computed: L1's weights are all 0 at the largest λ and none is at the smallest; L2 has no zero
assert np.all(coefs_l1[:, np.argmax(alphas_l1)] == 0) and np.all(coefs_l1[:, np.argmin(alphas_l1)] != 0)
assert np.all(coefs_l2 != 0)''')

    # --- §4: the minimiser is exactly 0; band of order αλ; proximal reaches 0 at step 18
    replace_text(nb, '''print("last five proximal iterates:   ", [float(v) for v in w_prox[-5:]])''',
                 '''print("last five proximal iterates:   ", [float(v) for v in w_prox[-5:]])
# The text around this cell, computed
objective = lambda w: 0.5 * (w - a) ** 2 + lam * np.abs(w)                      # noqa: E731
grid = np.linspace(-1, 1, 200001)
assert abs(-a) < lam and objective(0.0) < objective(grid[grid != 0]).min()      # |J'(0)| < λ: minimiser exactly 0
tail = np.array(w_sub[-30:])
assert np.all(np.array(w_sub) != 0) and tail.min() < 0 < tail.max()            # hops around 0, never on it
assert alpha * lam / 10 < np.abs(tail).max() < 2 * alpha * lam                 # at a distance of order αλ = 0.05
first_zero = w_prox.index(0.0)
assert np.allclose(w_sub[:first_zero], w_prox[:first_zero]) and first_zero == 18   # same path, then 0 at step 18
assert all(v == 0.0 for v in w_prox[first_zero:]) and w_sub[first_zero] < 0        # and stays; subgradient crosses''')
    replace_text(nb, "The proximal iterates reach exactly 0 after a few steps and stay.",
                 "The proximal iterates follow the same path down (for $w > 0$ the two updates agree), land on "
                 "exactly 0 at step 18, where the subgradient iterate crosses to the other side, and stay there.")

    # --- §5: the touching points, and how often a corner wins (the Summary gets a cell of its own,
    # so that the count can sit right under the caption)
    split_before(nb, "## Summary")
    replace_text(nb, '''    ax.legend(loc="lower left", fontsize=8)
plt.tight_layout()
plt.show()''', '''    ax.legend(loc="lower left", fontsize=8)
plt.tight_layout()
plt.show()
touch = {name: edge[np.argmin(loss(edge))] for name, edge in boundaries.items()}
l2_w, l1_w = touch["L2: ‖w‖₂ ≤ 1"], touch["L1: ‖w‖₁ ≤ 1"]
assert np.all(np.abs(l2_w) > 0.1) and np.all(np.abs(l2_w) < np.abs(w_star))   # L2: both shrink, neither vanishes
assert np.allclose(l1_w, [1.0, 0.0], rtol=0, atol=1e-12)                       # L1: the corner (1, 0)''')
    replace_text(nb, "The L1 diamond has **corners on the axes**, and a growing ellipse usually hits a corner first: "
                     "here $w_2$ is exactly 0.",
                 "The L1 diamond has **corners on the axes**, and here the ellipse touches at a corner: $w_2$ is "
                 "exactly 0. That is no accident. Every $w^*$ in a cone-shaped region around a corner ends at that "
                 "corner, and these cones widen with the distance from the diamond, while the $w^*$ that end inside "
                 "an edge fill strips of fixed width. So the tighter the constraint (the farther $w^*$ lies "
                 "outside), the more often the solution is sparse; the cell below counts it.")
    put_code_after(nb, "the more often the solution is sparse; the cell below counts it.", r'''
# The paragraph above, computed exactly: the best point of each edge of the diamond, for many w*
corners = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [1.0, 0.0]])


def on_a_corner(W):
    """For each row w* of W (outside the diamond): is the minimum of (w - w*)^T A (w - w*) on the diamond a corner?"""
    best_loss, best_t = np.full(len(W), np.inf), np.zeros(len(W))
    for start, step in zip(corners[:-1], np.diff(corners, axis=0)):   # the edge start + t step, 0 <= t <= 1
        t_edge = np.clip((W - start) @ A @ step / (step @ A @ step), 0.0, 1.0)   # the exact minimiser along it
        gap = start + t_edge[:, None] * step - W
        edge_loss = np.einsum("ni,ij,nj->n", gap, A, gap)
        better = edge_loss < best_loss
        best_loss[better], best_t[better] = edge_loss[better], t_edge[better]
    return (best_t == 0.0) | (best_t == 1.0)


assert on_a_corner(w_star[None])[0]                                    # the figure's w*
share = {}
for L in (2, 3, 10):
    W = np.random.default_rng(1).uniform(-L, L, size=(20000, 2))
    share[L] = on_a_corner(W[np.abs(W).sum(axis=1) > 1]).mean()       # w* outside the diamond
    print(f"w* uniform on [-{L}, {L}]² outside the diamond: the L1 minimum is a corner {share[L]:.0%} of the time")
assert share[2] < share[3] < share[10]
''')

    set_exercises(nb, [INTRO] + EXERCISES_02)


EXERCISES_02 = [
    md(r"""
**1. Where weight decay settles** (derive). Take one weight with the data loss $J(w) = \frac12(w - a)^2$, the L2 penalty $\frac\lambda2 w^2$, and gradient descent with step $\alpha$.

(a) Write one weight-decay step of §2 as $w \leftarrow c\,w + d$, and find $c$ and $d$.

(b) Find the fixed point $w_\infty$ and show that $w_t - w_\infty = c^t\,(w_0 - w_\infty)$. What does $w_\infty$ say about the sentence at the end of §2, "weights the data need stay large, weights they do not need decay towards (but not to) zero"? (Here $a$ is what the data ask for.)

(c) For which $\alpha$ does the iteration converge? Compare with departure 4 in the box at the top.

(d) Write your $w_\infty$ in the cell below, in terms of `a_ex` and `lam_ex`: the cell runs the iteration and compares.
"""),
    code(r'''
# Self-check for exercise 1
a_ex, lam_ex, alpha_ex = 0.8, 0.25, 0.1
w_limit = None                                    # YOUR FORMULA for w_infinity, from a_ex and lam_ex

w_ex = 3.0
for _ in range(2000):
    w_ex = (1 - alpha_ex * lam_ex) * w_ex - alpha_ex * (w_ex - a_ex)      # the weight-decay step of §2
if w_limit is None:
    print("Write your formula for w_limit, then run this cell again.")
elif np.isclose(w_limit, w_ex):
    print("Your w_limit is where the iteration settles.")
else:
    print("That is not where the iteration settles: check (b).")
'''),
    md(r"""
**2. Soft-thresholding is an exact minimisation** (derive).

(a) For a number $v$ and $\tau > 0$, show that $\arg\min_w \big(\tfrac12(w - v)^2 + \tau|w|\big) = \mathrm{sign}(v)\max(|v| - \tau, 0)$. (Look for a minimiser with $w > 0$, then with $w < 0$; when neither exists, show that $w = 0$ is the minimiser by comparing one-sided slopes at 0.)

(b) Show that the proximal update of §4 is $w \leftarrow \arg\min_u \big(\tfrac{1}{2\alpha}(u - v)^2 + \lambda|u|\big)$ with $v = w - \alpha J'(w)$: a data step, then an *exact* minimisation, which is why it can land on 0 and stay there.

(c) With $J(w) = \frac12(w - a)^2$, use (a) to show that the minimiser of $J + \lambda|w|$ is $\mathrm{sign}(a)\max(|a| - \lambda, 0)$. Check it against §4 ($a = 0.3$, $\lambda = 0.5$) and against the condition $|\partial J/\partial w_i| \le \lambda$ at 0 of §3. What is the minimiser for $a = 0.8$?
"""),
    md(r"""
**3. A smaller step for the slides' update** (predict, then run). In §4 the subgradient iterates ended up hopping around 0.

(a) Show that once the iterates are near 0, the slides' update maps $w > 0$ to $(1 - \alpha)w - \alpha(\lambda - a)$ and $w < 0$ to $(1 - \alpha)w + \alpha(\lambda + a)$. Deduce an interval, in terms of $\alpha$, $\lambda$ and $a$, that the iterates never leave once they are in it, and check it against the last iterates printed in §4.

(b) Predict that interval for $\alpha = 0.01$, and roughly how many steps the proximal iterates now need to reach 0. Then set `alpha_ex = 0.01` in the cell and run.

(c) What does this suggest about using the slides' L1 update with a learning rate that decreases during training?
"""),
    code(r'''
# Self-check for exercise 3: §4's two updates, with a step of your choice
alpha_ex = 0.1                                    # change me (try 0.01)
a_ex, lam_ex, n_steps = 0.3, 0.5, 3000
w_s, w_p = [1.0], [1.0]
for _ in range(n_steps):
    w_now = w_s[-1]
    w_s.append(w_now - alpha_ex * lam_ex * np.sign(w_now) - alpha_ex * (w_now - a_ex))
    v = w_p[-1] - alpha_ex * (w_p[-1] - a_ex)
    w_p.append(np.sign(v) * max(abs(v) - alpha_ex * lam_ex, 0.0))
second_half = np.array(w_s[n_steps // 2:])
print(f"alpha = {alpha_ex}: subgradient iterates in the second half lie in "
      f"[{second_half.min():.4f}, {second_half.max():.4f}]")
print("the proximal iterate is first exactly 0 at step", w_p.index(0.0) if 0.0 in w_p else "never")
'''),
    md(r"""
**4. Penalising the bias** (change a constant). Departure 5 in the box says that penalising the bias $b$ "would pull every prediction towards 0". The cell fits §1's degree-9 model to the same data shifted up by `shift`, twice: with the intercept unpenalised (`Ridge`'s default, as in §1), and penalised (a column of ones treated as one more weight, with `fit_intercept=False`).

(a) At the $\lambda$ chosen in §1, predict for each version whether the validation error changes when `shift` goes from `0.0` to `5.0`. Run both and explain. (Hint: if every $y$ moves up by 5, what happens to the unpenalised minimiser?)

(b) Now set `lam_ex = 10.0` with `shift = 5.0`. Predict roughly the fitted intercept of each version (think of a model that is only an intercept: what does $\frac12\sum_i(b - y_i)^2 + \frac\lambda2 b^2$ give?), then run.

(c) Back at `shift = 0.0`, try both values of `lam_ex`: penalising $b$ now does little harm, and at $\lambda = 10$ it even helps a little. Why? What belief about the outputs does a penalty on $b$ express?
"""),
    code(r'''
# Self-check for exercise 4
shift = 0.0                                       # change me (try 5.0)
lam_ex = best                                     # the λ chosen in §1; then try 10.0
Phi_tr, Phi_va = features(x_train, 9), features(x_val, 9)
ones_tr, ones_va = np.ones((len(x_train), 1)), np.ones((len(x_val), 1))
free = Ridge(alpha=lam_ex).fit(Phi_tr, y_train + shift)
penalised = Ridge(alpha=lam_ex, fit_intercept=False).fit(np.c_[Phi_tr, ones_tr], y_train + shift)
for name, b, pred in [("b not penalised", free.intercept_, free.predict(Phi_va)),
                      ("b penalised", penalised.coef_[-1], penalised.predict(np.c_[Phi_va, ones_va]))]:
    val_rmse = np.sqrt(np.mean((pred - (y_val + shift)) ** 2))
    print(f"{name:16s} shift = {shift}, λ = {lam_ex:.3g}: intercept {b:.3f}, validation RMSE {val_rmse:.4f}")
'''),
    md(r"""
**5. Round contours** (predict, then run). In §5 the loss had elliptic contours ($A \ne I$) and $w^* = (2, 0.4)$.

(a) Set `A_ex = np.eye(2)` (round contours), keeping $w^* = (2, 0.4)$. Predict the L2 and the L1 constrained minimum; for L2 with round contours there is a one-line formula. Run.

(b) Keep $A = I$ and set $w^* = (1, 0.9)$. Predict whether the L1 minimum is still at a corner, then run.

(c) With $A = I$ the L1 minimum is the point of the diamond closest to $w^*$. For $w^*$ in the first quadrant outside the diamond, show that it is the corner $(1, 0)$ exactly when $w^*_1 - w^*_2 \ge 1$, the corner $(0, 1)$ exactly when $w^*_2 - w^*_1 \ge 1$, and otherwise the point $w^* - \tau(1, 1)$ of the edge between them, with $\tau = (w^*_1 + w^*_2 - 1)/2$. Sketch the set of $w^*$ that end at the corner $(1, 0)$: how does it fit the cones and strips of §5?
"""),
    code(r'''
# Self-check for exercise 5: §5's boundary scan, with your A and w*
A_ex = np.array([[1.0, 0.3], [0.3, 1.2]])         # change me (try np.eye(2))
w_star_ex = np.array([2.0, 0.4])                  # change me (try np.array([1.0, 0.9]))
loss_ex = lambda W: np.einsum("...i,ij,...j->...", W - w_star_ex, A_ex, W - w_star_ex)  # noqa: E731
for name, edge in boundaries.items():
    print(f"{name}: constrained minimum {np.round(edge[np.argmin(loss_ex(edge))], 3)}")
'''),
]


def main():
    paths = []
    for name, edit in (("01-mle-losses.ipynb", lecture_01), ("02-regularization.ipynb", lecture_02)):
        path = ROOT / "lectures" / name
        nb = nbformat.read(path, as_version=4)
        edit(nb)
        nbformat.write(nb, path)
        paths.append(str(path))
    clean_notebooks.main(paths)


if __name__ == "__main__":
    main()
