"""Lectures 03 and 04: guard every number the text states, keep lecture 04's default path fast,
and add an "Exercises · 练习" section after each Summary.

    python tools/add_exercises_03_04.py
    python tools/clean_notebooks.py lectures/03-optimizers.ipynb lectures/04-autoencoders.ipynb

Idempotent: every edit first checks whether it is already in place, so running the script
twice gives the same notebooks. Inserted cells are found again by their first line, so
editing a new cell's text here and re-running updates that cell instead of adding another.
A `replace` looks for its `old` text: to reword a replacement that is already in the
notebook, make the wording in the notebook its `old` text.
The worked answers live in instructors/answers/03-optimizers.md and 04-autoencoders.md.
"""
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


# --- idempotent edits ---------------------------------------------------------------------

def _cells_with(nb, text):
    return [i for i, c in enumerate(nb.cells) if text in c.source]


def _one(nb, text):
    hits = _cells_with(nb, text)
    if len(hits) != 1:
        raise LookupError(f"{len(hits)} cells contain {text[:70]!r}")
    return hits[0]


def replace(nb, old, new):
    """Replace `old` by `new` in the one cell holding it; nothing to do once `new` is there."""
    if _cells_with(nb, new):
        return
    i = _one(nb, old)
    nb.cells[i].source = nb.cells[i].source.replace(old, new)


def split(nb, at):
    """Split the cell holding `at` into two, the second starting at `at` (once)."""
    if any(c.source.startswith(at) for c in nb.cells):
        return
    i = _one(nb, at)
    cell = nb.cells[i]
    head, tail = cell.source.split(at, 1)
    cell.source = head.rstrip("\n")
    nb.cells.insert(i + 1, nbformat.v4.new_markdown_cell(at + tail))


def put_after(nb, anchor, kind, source):
    """Insert a cell right after the cell holding `anchor`; if a cell with the same first line
    exists already, update its text instead. Returns the new cell's first line (an anchor)."""
    source = source.strip("\n")
    key = source.splitlines()[0]
    same = [c for c in nb.cells if c.source.splitlines()[:1] == [key]]
    if len(same) > 1:
        raise LookupError(f"{len(same)} cells start with {key!r}")
    if same:
        same[0].source = source
    else:
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.insert(_one(nb, anchor) + 1, make(source))
    return key


def add_exercises(nb, after_anchor, cells):
    """The exercises section, in order, after the cell holding `after_anchor`."""
    anchor = after_anchor
    for kind, source in cells:
        anchor = put_after(nb, anchor, kind, source)


# --- lecture 03 ---------------------------------------------------------------------------

def lecture_03(nb):
    # §1: α = 0.102 diverges
    replace(nb, 'assert min(stable, key=stable.get) == "α = 0.095" and final["α = 0.102"] > final["α = 0.01"]',
            'assert min(stable, key=stable.get) == "α = 0.095"\n'
            'assert final["α = 0.102"] > quadratic.f(*quadratic.start)      # α = 0.102 diverges: worse than its start')

    # §2: momentum
    split(nb, "## 3. Nesterov accelerated gradient · NAG")
    replace(nb,
            "$\\gamma = 0$ is plain gradient descent, slow. $\\gamma = 0.5$ and $0.9$ are much faster; $0.9$ overshoots "
            "and spirals in (the loss is not monotone). $\\gamma = 0.99$ remembers too long: it overshoots far and "
            "oscillates for hundreds of steps. $\\gamma$ trades speed for overshoot; 0.9 is the usual compromise.",
            "$\\gamma = 0$ is plain gradient descent, slow. $\\gamma = 0.5$ and $0.9$ are much faster (after 100 steps "
            "the loss is about 1.1 for $\\gamma = 0$, 0.13 for 0.5 and $10^{-4}$ for 0.9); $0.9$ overshoots and spirals "
            "in (the loss is not monotone). $\\gamma = 0.99$ remembers too long: it overshoots far, to $x \\approx 3.4$ "
            "from a start at $x = -4$, oscillates for hundreds of steps, and after 100 steps has a higher loss than "
            "plain gradient descent. $\\gamma$ trades speed for overshoot; 0.9 is the usual compromise. "
            "The cell below checks these claims, and the limit $\\alpha/(1-\\gamma)$ of the step.")
    put_after(nb, "after 100 steps has a higher loss than", "code", r'''
# §2's claims, computed: the losses after 100 steps, γ = 0.99's overshoot, the limit of the step.
loss100 = {k: quadratic.f(*v[-1]) for k, v in paths.items()}
print({k: f"{f:.2g}" for k, f in loss100.items()})
assert 1.0 < loss100["γ = 0.0"] < 1.2 and 0.12 < loss100["γ = 0.5"] < 0.15 and 5e-5 < loss100["γ = 0.9"] < 2e-4
assert np.any(np.diff([quadratic.f(*p) for p in paths["γ = 0.9"]]) > 0)        # γ = 0.9: not monotone
assert loss100["γ = 0.99"] > loss100["γ = 0.0"]
long = run(momentum, quadratic, 1000, lr=0.01, gamma=0.99)
flips = np.nonzero(np.diff(np.sign(long[:, 0])))[0] + 1                      # steps where x changes sign
print(f"γ = 0.99: largest x {long[:, 0].max():.2f}; x changes sign {len(flips)} times, the last at step {flips[-1]}")
assert 3.35 < long[:, 0].max() < 3.5 and flips[-1] > 500
s = {}
for k in range(1, 201):                                      # a constant gradient g = 1: the step v approaches α/(1-γ)
    momentum(np.zeros(1), lambda p: np.ones(1), s, k, lr=0.01, gamma=0.9)
print(f"momentum's step after 200 steps of a constant gradient: {s['v'][0] / 0.01:.4f} α")
assert abs(s["v"][0] / 0.01 - 1 / (1 - 0.9)) < 1e-6
''')

    # §3: NAG
    split(nb, "## 4. Adagrad")
    replace(nb,
            "With the same $\\alpha$ and $\\gamma$, NAG (orange) barely overshoots where momentum (blue) swings across the "
            "valley and loops around the minimum; its loss falls with far smaller bumps. Across the valley the "
            "look-ahead gradient already points back, which damps the oscillation.",
            "With the same $\\alpha$ and $\\gamma$, momentum (blue) swings across the valley, out to $|y| \\approx 0.8$ "
            "after its first steps, and loops around the minimum; NAG (orange) swings less than half as far "
            "($|y| < 0.3$). Both overshoot the minimum along the valley floor, but NAG's loss falls with far smaller "
            "bumps: adding up every increase of the loss gives about 9 for momentum and 0.3 for NAG (cell below). "
            "Across the valley the look-ahead gradient already points back, which damps the oscillation.")
    put_after(nb, "adding up every increase of the loss gives about 9", "code", r'''
# §3's claims, computed: how far each swings across the valley (|y| from step 5 on), and the loss's bumps.
swing = {k: np.abs(v[5:, 1]).max() for k, v in paths.items()}
bumps = {k: np.clip(np.diff([quadratic.f(*p) for p in v]), 0, None).sum() for k, v in paths.items()}
print({k: f"swing {swing[k]:.3f}, bumps {bumps[k]:.2f}, largest x {paths[k][:, 0].max():.2f}" for k in paths})
assert 0.75 < swing["Momentum"] < 0.85 and swing["NAG"] < 0.3 and swing["NAG"] < swing["Momentum"] / 2
assert 8.5 < bumps["Momentum"] < 9.5 and 0.25 < bumps["NAG"] < 0.35
assert min(v[:, 0].max() for v in paths.values()) > 0                      # both overshoot x = 0
''')

    # §4: Adagrad
    split(nb, "## 5. Adadelta")
    replace(nb,
            "*Right:* with a gradient that never changes, $G_t = t$ and the step decays like $1/\\sqrt t$: after 10,000 "
            "steps it is a hundredth of the first.",
            "*Right:* with a gradient that never changes, $G_t = t$ and the step decays like $1/\\sqrt t$: after 2,000 "
            "steps (the right end) it is $1/\\sqrt{2000}$, about 2% of the first.")
    put_after(nb, "steps (the right end) it is $1/\\sqrt{2000}$", "code", r'''
# §4's claims, computed: the first step on the quadratic, the effective rates, the 1/√t decay.
s, x0 = {}, np.array(quadratic.start)
first = adagrad(x0, lambda p: grad_of(quadratic, p), s, 1, lr=1.0) - x0
print(f"Adagrad's first step with α = 1 from {quadratic.start}: {first}; step at t = 2000: {path_const[-1]:.4f}")
assert np.allclose(np.abs(first), 1.0)                      # α in both coordinates, whatever their curvature
assert eff[0, 1] < eff[0, 0] and np.all(np.diff(eff, axis=0) <= 0)   # the steep one starts smaller; both only shrink
assert np.allclose(path_const, 1 / np.sqrt(np.arange(1, 2001))) and abs(path_const[-1] - 0.022) < 5e-4
''')

    # §5: Adadelta
    replace(nb, 'fig, axes = plt.subplots(1, 2, figsize=(13, 4))\nfor c, style in ((1.0, "-"), (100.0, "--")):',
            'fig, axes = plt.subplots(1, 2, figsize=(13, 4))\n'
            'runs, eff_runs = {}, {}                     # θ after each step, by (method, units); Adadelta\'s rate\n'
            'for c, style in ((1.0, "-"), (100.0, "--")):')
    replace(nb, '        axes[0].semilogx(np.arange(1, 3001), thetas, style, label=f"{name}, units ×{c:g}")',
            '        runs[name, c] = np.array(thetas)\n'
            '        axes[0].semilogx(np.arange(1, 3001), thetas, style, label=f"{name}, units ×{c:g}")')
    replace(nb, "        if effs:\n            axes[1].loglog(",
            "        if effs:\n            eff_runs[c] = np.array(effs)\n            axes[1].loglog(")
    split(nb, "## 6. RMSprop")
    split(nb, "## 7. Adam and its bias correction")
    replace(nb,
            "*Left:* gradient descent with a fixed $\\alpha$ is fast in one unit system and stalls in the other. Adadelta "
            "reaches the minimum in both, with no learning rate to tune, but not on the same schedule: the first steps "
            "are $\\approx 0.0045$ *units*, so the finer units start 100 times slower in $\\theta$. *Right:* Adadelta's "
            "effective learning rate warms up from $\\sqrt\\epsilon/\\mathrm{RMS}[g]$ as $E[\\Delta\\theta^2]$ accumulates. "
            "The units argument is right about the *ratio*; $\\epsilon$ still sets the scale of the start.",
            "*Left:* gradient descent with a fixed $\\alpha$ is fast in one unit system and crawls in the other "
            "($\\theta \\approx 0.42$ after 3,000 steps). Adadelta has no learning rate to tune, but it is not unit-free "
            "either: its first steps are $\\approx 0.0045$ *units* in both systems, so in $\\theta$ the finer units start "
            "100 times slower. In the original units it gets within 1% of the minimum after about 900 steps; in the "
            "finer ones it is still at $\\theta \\approx 0.27$ after 3,000, behind gradient descent, and needs about "
            "51,000 steps (the cell below counts them). *Right:* Adadelta's effective learning rate warms up from "
            "$\\sqrt\\epsilon/\\mathrm{RMS}[g]$ as $E[\\Delta\\theta^2]$ accumulates. The units argument is right about the "
            "*ratio*; $\\epsilon$ still sets the scale of the start, and with it how long the warm-up takes.")
    put_after(nb, "and with it how long the warm-up takes.", "code", r'''
# §5's claims, computed: first steps, GD in the two unit systems, Adadelta's steps to within 1% of θ = 3.
def steps_to_1pct(theta):
    return int(np.argmax(np.abs(theta - 3) < 0.03)) + 1 if np.any(np.abs(theta - 3) < 0.03) else None

first = {c: runs["Adadelta", c][0] * c for c in (1.0, 100.0)}            # in each system's own units
s, u, n_fine = {}, np.array([0.0]), None
for k in range(1, 100_001):                                               # units ×100, until within 1%
    u = adadelta(u, lambda q: (q / 100.0 - 3.0) / 100.0, s, k)
    if abs(u[0] / 100.0 - 3.0) < 0.03:
        n_fine = k
        break
print(f"first steps {first[1.0]:.5f} and {first[100.0]:.5f} units (√ε/√(1-ρ) = {np.sqrt(1e-6 / 0.05):.5f})")
print(f"θ after 3000 steps, units ×100: GD {runs['GD α=0.5', 100.0][-1]:.2f}, Adadelta {runs['Adadelta', 100.0][-1]:.2f}")
print(f"Adadelta within 1%: after {steps_to_1pct(runs['Adadelta', 1.0])} steps (×1), {n_fine} (×100)")
assert all(abs(v - 0.0045) < 2e-4 for v in first.values()) and abs(np.sqrt(1e-6 / 0.05) - 0.0045) < 1e-4
assert 95 < runs["Adadelta", 1.0][0] / runs["Adadelta", 100.0][0] < 105           # 100 times slower in θ
assert abs(runs["GD α=0.5", 1.0][20] - 3) < 1e-3 and abs(runs["GD α=0.5", 100.0][-1] - 0.42) < 0.01
assert 850 < steps_to_1pct(runs["Adadelta", 1.0]) < 950 and abs(runs["Adadelta", 100.0][-1] - 0.27) < 0.01
assert runs["Adadelta", 100.0][-1] < runs["GD α=0.5", 100.0][-1] and 50_000 < n_fine < 52_000
assert eff_runs[1.0][-1] > 100 * eff_runs[1.0][0]                                   # it warms up
''')

    # §6: RMSprop
    put_after(nb, "It is what Adadelta would be without the", "code", r'''
# §6's claim, computed: with a constant gradient g = 1, RMSprop's step settles at α (here α = 0.01).
s, x, rms_steps = {}, np.zeros(1), []
for k in range(1, 201):
    x_new = rmsprop(x, lambda p: np.ones(1), s, k, lr=0.01)
    rms_steps.append(abs(x_new - x)[0] / 0.01)
    x = x_new
print(f"step / α at t = 1, 10, 200: {rms_steps[0]:.2f}, {rms_steps[9]:.2f}, {rms_steps[-1]:.5f}")
assert abs(rms_steps[-1] - 1) < 1e-4
''')

    # §7: Adam
    replace(nb,
            'for name, rule in (("with bias correction", adam), ("without bias correction", adam_uncorrected)):\n'
            '    path = run(rule, rosenbrock, 60, lr=0.05)\n'
            '    axes[1].plot(np.arange(1, 61), np.linalg.norm(np.diff(path, axis=0), axis=1) / 0.05, ".-", label=name)',
            'adam_steps = {}                                         # |Δθ| / α at each step\n'
            'for name, rule in (("with bias correction", adam), ("without bias correction", adam_uncorrected)):\n'
            '    path = run(rule, rosenbrock, 60, lr=0.05)\n'
            '    adam_steps[name] = np.linalg.norm(np.diff(path, axis=0), axis=1) / 0.05\n'
            '    axes[1].plot(np.arange(1, 61), adam_steps[name], ".-", label=name)')
    replace(nb,
            "the uncorrected steps are several times larger for the first dozens of steps (the corrected ones are at "
            "most $\\sqrt2\\,\\alpha$, one $\\alpha$ per coordinate)",
            "over the first 60 steps the uncorrected steps are typically about three times larger (the median ratio; "
            "the corrected ones are at most $\\sqrt2\\,\\alpha$, one $\\alpha$ per coordinate)")
    put_after(nb, "over the first 60 steps the uncorrected steps are typically", "code", r'''
# §7's claims, computed (and the departures' "up to about 6.6 times α in the first dozen steps").
ratio = adam_steps["without bias correction"] / adam_steps["with bias correction"]
first = np.diff(run(adam, rosenbrock, 1, lr=0.05), axis=0)[0] / 0.05
print(f"constant gradient, uncorrected step / α at t = 3000: {uncorrected[-1]:.3f}")
print(f"Rosenbrock: median ratio {np.median(ratio):.2f}, largest corrected step "
      f"{adam_steps['with bias correction'].max():.4f} α, first corrected step / α {first}")
assert abs(uncorrected[0] - 3.2) < 0.05 and abs(uncorrected.max() - 6.6) < 0.05 and t[uncorrected.argmax()] == 12
assert uncorrected[999] > 1.2 and uncorrected[-1] < 1.03                 # back to α only over thousands of steps
assert 2.5 < np.median(ratio) < 3.5 and adam_steps["with bias correction"].max() <= np.sqrt(2) + 1e-9
assert np.allclose(np.abs(first), 1.0)                                    # the first step is α in every coordinate
''')

    # §8: three landscapes
    replace(nb, "for fn, (steps, hyper) in settings.items():\n"
                "    paths = {name: run(RULES[name], fn, steps, **h) for name, h in hyper.items()}",
            "all_paths = {}                                          # function -> {method: path}\n"
            "for fn, (steps, hyper) in settings.items():\n"
            "    paths = {name: run(RULES[name], fn, steps, **h) for name, h in hyper.items()}\n"
            "    all_paths[fn] = paths")
    split(nb, "**Rosenbrock.** ")
    split(nb, "**Saddle.** ")
    split(nb, "## Summary\n- The learning rate is bounded")
    put_after(nb, "Adadelta has barely moved after 100 steps", "code", r'''
# The quadratic's claims, computed (the minimum is at (0, 0)).
P = all_paths[quadratic]
for name in ("Adagrad", "Adadelta", "RMSprop", "Adam"):                      # first step: diagonal
    dx, dy = np.abs(P[name][1] - P[name][0])
    assert abs(dx - dy) < 1e-3 * dx, name
assert np.abs(P["Adagrad"][1:, 1]).max() < 1e-6 and np.all(np.diff(P["Adagrad"][:, 0]) >= 0)   # straight in
dist = np.linalg.norm(P["RMSprop"], axis=1)
moved = np.linalg.norm(P["Adadelta"][-1] - P["Adadelta"][0]) / np.linalg.norm(P["Adadelta"][0])
print(f"RMSprop's distance to the minimum over its last 20 steps: {dist[-20:].min():.4f} to {dist[-20:].max():.3f}")
print(f"Adam's largest x {P['Adam'][:, 0].max():.2f}; Adadelta moved {100 * moved:.0f}% of its start's distance to the minimum")
assert dist[60] < 0.1 and dist[-20:].max() > 10 * dist[-20:].min()           # close fast, then keeps bouncing
assert P["Adam"][:, 0].max() > 0.5 and abs(P["Adam"][-1, 0]) < 0.01          # past the minimum and back
assert np.all(P["GD"][1:11, 1] * P["GD"][:10, 1] < 0)                        # GD: y flips sign every step
for name in ("Momentum", "NAG"):                                             # spirals: x and y both change sign
    assert min(np.sum(np.diff(np.sign(P[name][:, i])) != 0) for i in (0, 1)) >= 2, name
assert moved < 0.2                                                           # Adadelta has barely moved
''')
    replace(nb,
            "**Rosenbrock.** Everyone reaches the curved valley quickly (Adagrad after a first jump of $\\alpha$ in both "
            "coordinates); moving *along* it is the hard part, and the paths lie on top of each other there, so read "
            "the right panel. GD, Adagrad (whose steps have shrunk) and Adadelta are still far from (1, 1) after 3000 "
            "steps; momentum, NAG and RMSprop get closer; Adam follows the valley all the way to the minimum.",
            "**Rosenbrock.** Everyone reaches the curved valley (where $|y - x^2| < 0.1$) within a dozen steps (Adagrad "
            "after a first jump of $\\alpha$ in both coordinates); moving *along* it is the hard part, and the paths lie "
            "on top of each other there, so read the right panel. After 3000 steps GD, Adagrad (whose steps have "
            "shrunk) and Adadelta are still 0.36 to 0.57 away from (1, 1); momentum, NAG and RMSprop get closer (0.06 "
            "to 0.11); Adam follows the valley all the way to the minimum.")
    put_after(nb, "Adam follows the valley all the way to the minimum.", "code", r'''
# Rosenbrock's claims, computed (the minimum is at (1, 1)).
P = all_paths[rosenbrock]
in_valley = {n: np.nonzero(np.abs(p[:, 1] - p[:, 0] ** 2) < 0.1)[0] for n, p in P.items()}
dist = {n: np.linalg.norm(p[-1] - 1) for n, p in P.items()}
print("first step in the valley:", {n: int(v[0]) for n, v in in_valley.items()})
print("distance to (1, 1) after 3000 steps:", {n: f"{d:.2g}" for n, d in dist.items()})
assert max(v[0] for v in in_valley.values()) <= 12 and np.allclose(P["Adagrad"][1] - P["Adagrad"][0], 0.5)
far, closer = [dist[n] for n in ("GD", "Adagrad", "Adadelta")], [dist[n] for n in ("Momentum", "NAG", "RMSprop")]
assert 0.35 < min(far) and max(far) < 0.58 and 0.06 < min(closer) and max(closer) < 0.12 and dist["Adam"] < 1e-6
''')
    replace(nb,
            "**Saddle.** The gradient along $y$ starts at $2\\cdot10^{-3}$, so GD and momentum hardly notice the way down "
            "and creep along the ridge towards the saddle point. The adaptive methods divide by the size of the "
            "gradient, so even a tiny $y$-gradient produces a full-size step, and they escape at once. In "
            "high-dimensional networks saddle points are far more common than bad local minima, which is one reason "
            "adaptive methods train quickly.",
            "**Saddle.** The gradient along $y$ starts at $2\\cdot10^{-3}$ in size, so GD, momentum and NAG hardly notice "
            "the way down and creep along the ridge towards the saddle point: after 20 steps they are still within "
            "0.01 of it. The adaptive methods divide by the size of the gradient, so even a tiny $y$-gradient produces "
            "a full-size step, and they leave the ridge at once: after 20 steps they are 0.5 (Adadelta, slowed by its "
            "$\\epsilon$-sized start) to 3.3 (Adagrad) away. In high-dimensional networks saddle points are far more "
            "common than bad local minima (Dauphin et al., 2014, *Identifying and attacking the saddle point problem "
            "in high-dimensional non-convex optimization*), which is one reason adaptive methods train quickly.")
    put_after(nb, "which is one reason adaptive methods train quickly.", "code", r'''
# The saddle's claims, computed (the ridge is y = 0).
P = all_paths[saddle]
y20 = {n: abs(p[20, 1]) for n, p in P.items()}
print(f"|∂f/∂y| at the start: {abs(saddle.grad(*saddle.start)[1]):.1e};", "|y| after 20 steps:",
      {n: f"{v:.2g}" for n, v in y20.items()})
assert np.isclose(abs(saddle.grad(*saddle.start)[1]), 2e-3)
slow, adaptive = ("GD", "Momentum", "NAG"), ("Adagrad", "Adadelta", "RMSprop", "Adam")
assert max(y20[n] for n in slow) < 0.01 and all(abs(P[n][20, 0]) < 1 for n in slow)   # creeping towards (0, 0)
assert min(adaptive, key=y20.get) == "Adadelta" and 0.45 < y20["Adadelta"] < 0.55
assert max(adaptive, key=y20.get) == "Adagrad" and 3.2 < y20["Adagrad"] < 3.4
''')

    add_exercises(nb, "**Next:** assignment a3", [
        ("markdown", r'''
## Exercises · 练习

Derivations are for paper. For the other exercises, write your prediction down *before* you run the cell after it; the cells run as they are, and each exercise says what to change.'''),
        ("markdown", r'''
**1. Derive Adam's bias correction.** Take $m_0 = 0$ and $m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$.

(a) Unroll the recursion: write $m_t$ as a weighted sum of $g_1, \dots, g_t$.

(b) Suppose every $g_i$ has the same expectation $E[g]$. Show that $E[m_t] = (1-\beta_1^t)\,E[g]$, so that $\hat m_t = m_t/(1-\beta_1^t)$ is unbiased. What is the analogous statement for $v_t$?

(c) With $\beta_1 = 0.9$ and $\beta_2 = 0.999$, compute the two factors $1-\beta_1^t$ and $1-\beta_2^t$ at $t = 10$. Which average is more biased, and by how much?

(d) Keep $\beta_1 = 0.9$ and a constant gradient $g$ with $|g| \gg \epsilon$. Which $\beta_2$ makes the *uncorrected* first step exactly $\alpha$? With that $\beta_2$, is the uncorrected step still $\alpha$ at $t = 2$?'''),
        ("markdown", r'''
**2. Derive why momentum beats the condition number.** On a one-dimensional quadratic $f(\theta) = \frac\lambda2\theta^2$ momentum's two lines are $v_t = \gamma v_{t-1} + \alpha\lambda\theta_{t-1}$ and $\theta_t = \theta_{t-1} - v_t$.

(a) Eliminate $v$ and show $\theta_{t+1} = (1 + \gamma - \alpha\lambda)\,\theta_t - \gamma\,\theta_{t-1}$.

(b) The error then behaves like $z^t$, where $z$ solves $z^2 - (1+\gamma-\alpha\lambda)z + \gamma = 0$. Show that when $(1+\gamma-\alpha\lambda)^2 < 4\gamma$ the two roots are complex with $|z| = \sqrt\gamma$: the error spirals and shrinks by $\sqrt\gamma$ per step *whatever* $\lambda$ is.

(c) §2's quadratic has $\lambda = 1$ (along $x$) and $\lambda = 20$ (along $y$), with $\alpha = 0.01$. For $\gamma = 0.9$, check that both directions satisfy the condition of (b), and compare the per-step factor with gradient descent's slowest factor $1 - \alpha\cdot 1$.

(d) For $\gamma = 0.5$ the $x$ direction does not satisfy it. Compute its larger root.

(e) What does (b) give for $\gamma = 0.99$? Use (c) to (e) to explain the order of §2's four losses after 100 steps.'''),
        ("markdown", r'''
**3. Change a constant: the edge of stability.** §1 says gradient descent on $\frac12(x^2 + 20y^2)$ converges only for $\alpha < 0.1$.

(a) Predict what gradient descent does with $\alpha = 0.1$ *exactly*: what happens to $y$, and what is the loss after 60 steps?

(b) Predict whether momentum ($\gamma = 0.9$) is stable with $\alpha = 0.1$, and with $\alpha = 0.2$.

(c) Run the cell, then explain (b) with exercise 2: for which $\alpha\lambda$ do both roots have $|z| < 1$?'''),
        ("code", r'''
# Exercise 3: gradient descent and momentum at and beyond α = 0.1.
for name, path in {"GD, α = 0.1": run(gd, quadratic, 60, lr=0.1),
                   "momentum, α = 0.1": run(momentum, quadratic, 200, lr=0.1),
                   "momentum, α = 0.2": run(momentum, quadratic, 200, lr=0.2)}.items():
    print(f"{name:18s} last four y: {np.array2string(path[-4:, 1], precision=3)}   "
          f"loss at the end: {quadratic.f(*path[-1]):.3g}")
'''),
        ("markdown", r'''
**4. Predict, then run: how close to the ridge?** §8 starts the saddle $f = x^2 - y^2$ at $(-2, 10^{-3})$.

(a) Start exactly on the ridge, at $(-2, 0)$. Predict where each of the seven methods is after 60 steps.

(b) Start at $(-2, 10^{-8})$, a hundred thousand times closer to the ridge than in §8. Predict, for each method, whether it still leaves the ridge within 60 steps, and whether its $|y|$ after 60 steps is much smaller than in §8's run.

(c) Run the cell. Explain the difference between the two groups by how much each rule multiplies a small $y$ in one step (for the adaptive ones, note where $\epsilon$ sits and how large $\alpha/\sqrt\epsilon$ is).'''),
        ("code", r'''
# Exercise 4: the saddle from three starting points, with §8's learning rates; where each is after 60 steps.
saddle_steps, saddle_hyper = settings[saddle]
for y0 in (0.0, 1e-8, 1e-3):
    ends = {name: run(RULES[name], saddle, saddle_steps, start=(-2.0, y0), **h)[-1]
            for name, h in saddle_hyper.items()}
    print(f"start (-2, {y0:g}):\n   " + ", ".join(f"{name} ({p[0]:.2g}, {p[1]:.2g})" for name, p in ends.items()))
'''),
        ("markdown", r'''
**5. Change a constant: Adadelta's $\epsilon$.** §5 claims that $\epsilon$ acts as Adadelta's initial learning rate.

(a) Predict the size of the first step on $\frac12(\theta-3)^2$ from $\theta = 0$ for $\epsilon = 10^{-4}$ and $\epsilon = 10^{-8}$ (the default is $10^{-6}$).

(b) Predict: with $\epsilon$ 100 times smaller, does Adadelta need about 100 times as many steps to get within 1% of $\theta = 3$, about 10 times as many, or fewer?

(c) Run the cell and explain the step counts. Hint: during the warm-up $g_t$ hardly changes, so after a few dozen steps $E[g^2]_t \approx g_t^2$ and $\Delta\theta_t \approx -\sqrt{E[\Delta\theta^2]_{t-1}+\epsilon}\,\mathrm{sign}(g_t)$; what does the recursion for $E[\Delta\theta^2]_t$ then do, and how far has $\theta$ moved after $t$ steps?'''),
        ("code", r'''
# Exercise 5: Adadelta on ½(θ - 3)² from θ = 0 with several ε: the first step, and steps to within 1% of 3.
for eps in (1e-4, 1e-6, 1e-8):
    s, x, first, n = {}, np.array([0.0]), None, None
    for k in range(1, 20_001):
        x = adadelta(x, lambda q: q - 3.0, s, k, eps=eps)
        first = x[0] if first is None else first
        if abs(x[0] - 3.0) < 0.03:
            n = k
            break
    print(f"ε = {eps:g}: first step {first:.2e}, within 1% of θ = 3 after {n} steps")
'''),
    ])


# --- lecture 04 ---------------------------------------------------------------------------

def lecture_04(nb):
    # running time, and one BLAS thread
    replace(nb, "# Small by default (about 1.5 to 2.5 minutes on a 2-core laptop); FULL = True for the full-size runs (much longer).",
            "# Small by default (about 20 s on a 2-core laptop, measured); FULL = True for the full-size runs\n"
            "# (4,000 digits, 196 + 196 hidden units, 400 L-BFGS iterations: about 4 minutes on the same laptop).")
    replace(nb, "from matplotlib.patches import FancyBboxPatch\n",
            "from matplotlib.patches import FancyBboxPatch\nfrom threadpoolctl import threadpool_limits\n")
    replace(nb, "rng = np.random.default_rng(0)\n",
            "rng = np.random.default_rng(0)\n"
            "# One BLAS thread: these matrices are small, so a second thread gains little, and on a busy machine\n"
            "# (tests running side by side) threads waiting for each other made this lecture several times slower.\n"
            "threadpool_limits(limits=1, user_api=\"blas\")\n")

    # §2: the KL penalty's shape
    replace(nb, "above $\\rho$ it grows more slowly than the quadratic.",
            "above $\\rho$ it stays below the quadratic (until $\\hat\\rho_j \\approx 0.995$).")
    replace(nb, "# The claims above, computed: at equal distance from rho = 0.1, the quiet side costs more.",
            "# The claims above, computed: at equal distance from rho = 0.1 the quiet side costs more; the quadratic\n"
            "# of the same curvature; no bound at 0 and 1; the derivative.")
    replace(nb, "assert abs(curvature - 1 / 0.09) < 1e-3 and abs(curvature / 2 - 5.56) < 0.01",
            "assert abs(curvature - 1 / 0.09) < 1e-3 and abs(curvature / 2 - 5.56) < 0.01\n"
            "quad = lambda r: (r - 0.1) ** 2 / (2 * 0.1 * 0.9)      # the quadratic of the same curvature\n"
            "below, above = np.linspace(1e-6, 0.1 - 1e-6, 1000), np.linspace(0.1 + 1e-6, 0.995, 1000)\n"
            "assert np.all(kl(0.1, below) > quad(below)) and np.all(kl(0.1, above) < quad(above))\n"
            "assert kl(0.1, 0.01) / kl(0.1, 0.19) > kl(0.1, 0.05) / kl(0.1, 0.15)   # more and more so towards 0\n"
            "assert kl(0.1, 1e-12) > kl(0.1, 1e-6) > kl(0.1, 1e-3) and kl(0.1, 1 - 1e-12) > kl(0.1, 1 - 1e-6)  # no bound\n"
            "slope = value_and_grad(lambda r: kl(0.1, r))(0.3)[1]    # the derivative quoted above, by autograd\n"
            "assert abs(slope - (-0.1 / 0.3 + 0.9 / 0.7)) < 1e-12")

    # §3: what the sparse code looks like
    replace(nb,
            "*Left:* with the penalty every unit's average activation sits close to the target $\\rho = 0.1$; without it "
            "they sit between about 0.5 and 0.95: most units are on for most digits.",
            "*Left:* with the penalty every unit's average activation sits close to the target $\\rho = 0.1$ (between about 0.1 "
            "and 0.13); without it they sit between about 0.45 and 0.95 at the default sizes (0.4 to 0.65 with `FULL = True`): "
            "most units are on for most digits.")
    replace(nb, "That is what \"sparse\" means, and it is what makes these features useful as inputs to a classifier.",
            "That is what \"sparse\" means: here about 70% of the sparse code's activations are below 0.05, against "
            "15% or less without the penalty.")
    put_after(nb, "That is what \"sparse\" means: here about 70%", "code", r'''
# §3's claims, computed.
rho_sparse, rho_plain = H_sparse.mean(axis=0), H_plain.mean(axis=0)
print(f"average activations: with sparsity {rho_sparse.min():.3f} to {rho_sparse.max():.3f}, "
      f"without {rho_plain.min():.2f} to {rho_plain.max():.2f}")
assert 0.09 < rho_sparse.min() and rho_sparse.max() < 0.135 and rho_plain.min() > 0.35
assert (0.45 < rho_plain.min() and rho_plain.max() < 0.96) if not FULL else (rho_plain.max() < 0.65)
assert np.mean(H_sparse < 0.05) > 0.65 and np.mean(H_plain < 0.05) < 0.15
assert np.mean((H_sparse > 0.5).sum(axis=1)) < 0.2 * n_hidden            # a few strong activations per digit
''')

    # §4: the stack
    split(nb, "## Summary\n- Autoencoder cost")
    replace(nb,
            "Before fine-tuning the stack can be *worse* than a softmax on raw pixels: the autoencoders learned features "
            "for reconstruction, not for telling digits apart, and the small second layer loses information. Fine-tuning "
            "lets the labels reshape every layer, and the stack then beats the pixel baseline. Pretraining's job is to "
            "give fine-tuning a good starting point; the exact numbers depend on the sizes above (with `FULL = True`, and "
            "in `benchmarks/stacked_autoencoder.py` at UFLDL's full size, 784-200-200-10, the stack reaches about 95% on "
            "1,000 held-out digits after training on 4,000).",
            "Before fine-tuning, the small default stack is much *worse* than a softmax on raw pixels: the autoencoders "
            "learned features for reconstruction, not for telling digits apart. The second layer is where it goes "
            "wrong: a softmax on the first layer's features (64 by default) does about as well as one on the 784 pixels (the cell "
            "below trains it; at full size it does better), but the second autoencoder, trained only to rebuild $h^1$, keeps too little of what "
            "separates the classes. Fine-tuning lets the labels reshape every layer, and the stack then beats the pixel "
            "baseline. Pretraining's job is to give fine-tuning a good starting point.\n\n"
            "The numbers depend on the sizes. The course's benchmark, run by instructors at UFLDL's full size "
            "(784-200-200-10, 4,000 training digits, 400 L-BFGS iterations a phase), measured 89.0% for the softmax on "
            "pixels, 91.8% for the stack before fine-tuning and 95.2% after (95.0% to 95.2% over three seeds), on the "
            "same 1,000 test digits: with "
            "enough units the pretrained stack already beats the pixels, and fine-tuning adds about 3 points. "
            "`FULL = True` gives a run of about that size.")
    put_after(nb, "`FULL = True` gives a run of about that size.", "code", r'''
# §4's claims, computed: a softmax on the first layer's features alone, and the three accuracies above.
soft1, _ = lbfgs(value_and_grad(softmax_cost), init_softmax(HIDDEN[0]), H1, y_train,
                 maxiter=MAXITER, desc="softmax on h¹")
acc_h1 = np.mean(np.argmax(encode(sparse_ae, X_test) @ soft1["W"] + soft1["b"], axis=1) == y_test)
print(f"softmax on h¹ (first layer only): test accuracy {100 * acc_h1:.1f}%")
raw_acc, before_acc, after_acc = acc.values()
assert after_acc > raw_acc and after_acc > before_acc          # fine-tuning helps, and beats the pixels
assert acc_h1 > before_acc                                     # the second layer loses what the classes need
if not FULL:                                                   # the small default stack
    assert before_acc < raw_acc - 0.1 and abs(acc_h1 - raw_acc) < 0.02 and acc_h1 > before_acc + 0.2
    assert after_acc > before_acc + 0.2                        # a large gain from fine-tuning
else:                                                          # about the benchmark's size
    assert before_acc > raw_acc and acc_h1 > raw_acc
''')
    replace(nb, "then fine-tuned as a whole; fine-tuning is where most of the accuracy comes from.",
            "then fine-tuned as a whole; fine-tuning adapts every layer to the labels (a large gain for the small "
            "default stack, a few points at full size).")

    add_exercises(nb, "**Next:** assignments a4", [
        ("markdown", r'''
## Exercises · 练习

Derivations are for paper. For the other exercises, write your prediction down *before* you run the cell after it; the cells reuse the models trained above and take a second or two.'''),
        ("markdown", r"""
**1. Derive the shape of the KL penalty.** Write $f(\hat\rho) = \mathrm{KL}(\rho\,\|\,\hat\rho)$ for a fixed $\rho \in (0, 1)$.

(a) Derive $f'(\hat\rho)$ and show it equals $-\frac{\rho}{\hat\rho} + \frac{1-\rho}{1-\hat\rho}$, the term quoted in §2. Show that it is negative below $\rho$ and positive above, so the penalty always pulls $\hat\rho_j$ towards $\rho$.

(b) Derive $f''(\rho)$; it gives the quadratic $\frac{1}{2\rho(1-\rho)}(\hat\rho-\rho)^2$ of §2.

(c) Derive $f'''(\rho)$ and use the third-order Taylor expansion to show that for $\rho < \frac12$ a unit a small distance $d$ *below* $\rho$ is penalised more than one $d$ above it. What happens for $\rho = \frac12$, and for $\rho > \frac12$?

(d) As $\hat\rho \to 0$, how fast do $f$ and $f'$ grow? Is the "wall" at 0 steep in the penalty itself or in its slope?"""),
        ("markdown", r'''
**2. Derive what the penalty does through a sigmoid.** Take one hidden unit whose activation is the same for every input, $h = \sigma(b)$ (all its incoming weights are zero), so $\hat\rho = \sigma(b)$.

(a) Using $\sigma' = \sigma(1-\sigma)$, show that $\frac{d}{db}\mathrm{KL}(\rho\,\|\,\sigma(b)) = \sigma(b) - \rho$.

(b) Which bias $b^*$ minimises the penalty? Give it for $\rho = 0.1$.

(c) Compare with exercise 1(d): a nearly dead unit has $\hat\rho \to 0$. How large is the push on its bias, and why is it not infinite?

The cell below compares a formula of yours with autograd at a few biases; it stays silent until you fill in `my_dkl_db`.'''),
        ("code", r'''
# Exercise 2: your d/db KL(rho || sigmoid(b)) against autograd's.
my_dkl_db = None          # e.g. my_dkl_db = lambda b, rho: ...   (NumPy only)
if my_dkl_db is not None:
    for b in (-6.0, -2.0, 0.0, 3.0):
        auto = value_and_grad(lambda b_: kl(0.1, sigmoid(b_)))(b)[1]
        print(f"b = {b:4}: yours {my_dkl_db(b, 0.1):+.6f}, autograd {auto:+.6f}",
              "✓" if np.isclose(my_dkl_db(b, 0.1), auto) else "✗")
'''),
        ("markdown", r'''
**3. Predict, then run: how many units does a digit switch on?** The sparse autoencoder of §3 has $\rho = 0.1$; both autoencoders have `n_hidden` hidden units (64 by default).

(a) Predict the average number of hidden units with $h_j(x) > 0.5$ per training digit, with and without the sparsity penalty.

(b) Predict whether the plain autoencoder has units that are above 0.5 for *every* training digit, and whether the sparse one has units that are below 0.5 for every digit (units that never fire strongly).

(c) Run the cell. $\hat\rho_j$ is an *average* activation, not the fraction of digits for which unit $j$ is on: a unit at $h = 1$ for a tenth of the digits and 0 otherwise, and a unit at $h = 0.1$ for every digit, both have $\hat\rho_j = 0.1$. Which of the two does the KL term prefer, and which does the reconstruction term prefer? What does your answer say about the counts you see?'''),
        ("code", r'''
# Exercise 3: strongly active units (h > 0.5) per digit, and units always on / never strongly on.
for name, H in (("with sparsity", H_sparse), ("without sparsity", H_plain)):
    on = H > 0.5
    print(f"{name:17s} per digit: {on.sum(axis=1).mean():5.1f} of {H.shape[1]} units; "
          f"on for every digit: {np.sum(on.all(axis=0)):2d}; never strongly on: {np.sum(~on.any(axis=0)):2d}")
'''),
        ("markdown", r'''
**4. Predict, then run: which autoencoder reconstructs better?** The two autoencoders of §3 differ only in $\beta$.

(a) Predict which one reconstructs the *test* digits better, measured by $\frac1{2m}\sum_i\|\hat x^{(i)} - x^{(i)}\|^2$, and whether its advantage is large or small.

(b) Predict whether each reconstructs the test digits much worse than its training digits.

(c) Run the cell and explain: what does the sparse autoencoder give up, and what does it get for it (§3's figures)?'''),
        ("code", r'''
# Exercise 4: reconstruction error, training and test digits, and five test digits rebuilt.
def reconstruct(p, X):
    return np.asarray(sigmoid(encode(p, X) @ p["W2"] + p["b2"]))


for name, p in (("with sparsity", sparse_ae), ("without sparsity", plain_ae)):
    err = {part: 0.5 * np.sum((reconstruct(p, X) - X) ** 2) / len(X)
           for part, X in (("train", X_train), ("test", X_test))}
    print(f"{name:17s} reconstruction error: train {err['train']:.2f}, test {err['test']:.2f}")
fig, axes = plt.subplots(3, 5, figsize=(7, 4.4))
for j in range(5):
    for row, (label, img) in enumerate((("digit", X_test[j]), ("sparse", reconstruct(sparse_ae, X_test[j:j + 1])[0]),
                                        ("plain", reconstruct(plain_ae, X_test[j:j + 1])[0]))):
        axes[row, j].imshow(img.reshape(28, 28), cmap="gray")
        axes[row, j].set_xticks([]), axes[row, j].set_yticks([])
        axes[row, 0].set_ylabel(label)
plt.tight_layout()
plt.show()
'''),
        ("markdown", r'''
**5. Change a constant: how long to fine-tune?** §4 fine-tunes for `MAXITER` L-BFGS iterations (100 by default).

(a) Predict the test accuracy after only 5 and after 20 iterations of fine-tuning, started from the same pretrained stack `before`. After how many iterations do you expect the stack to pass the softmax on raw pixels?

(b) Predict the *training* accuracy after 20 iterations.

(c) Run the cell (each run takes a fraction of a second at the default size), then try other values in `for maxiter in (...)`. Explain why the test accuracy keeps improving after the training accuracy has stopped changing.'''),
        ("code", r'''
# Exercise 5: fine-tuning from the same pretrained stack for a few iterations.
print(f"softmax on raw pixels: test {100 * acc['softmax on raw pixels']:.1f}%")
for maxiter in (5, 20):
    tuned, _ = lbfgs(value_and_grad(stack_cost), before, X_train, y_train, maxiter=maxiter,
                     desc=f"{maxiter} iterations")
    print(f"fine-tuned for {maxiter:3d} iterations: test {100 * np.mean(predict(tuned, X_test) == y_test):.1f}%, "
          f"training {100 * np.mean(predict(tuned, X_train) == y_train):.1f}%")
'''),
    ])


def main():
    for name, edit in (("03-optimizers", lecture_03), ("04-autoencoders", lecture_04)):
        path = ROOT / "lectures" / f"{name}.ipynb"
        nb = nbformat.read(path, as_version=4)
        edit(nb)
        nbformat.write(nb, path)
        print(f"wrote {path.relative_to(ROOT)} ({len(nb.cells)} cells)")


if __name__ == "__main__":
    main()
