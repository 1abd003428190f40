"""The static library rule: forbidden uses are found through every kind of aliasing a student might
write, fair code is never flagged, and odd input never raises. Only source text, no notebooks."""
import textwrap

import pytest

from grader.checks._static import dynamic_code, library_use

OBJECTS = ("scipy.special.softmax", "scipy.special.log_softmax")
MODULES = ("autograd", "jax", "torch", "tensorflow")
SOFTMAX = ["scipy.special.softmax"]


def cells(*texts):
    return [textwrap.dedent(t) for t in texts]


def uses(texts, names=("softmax",)):
    return library_use(cells(*texts), names, OBJECTS, MODULES)


# (cells, graded function names, expected)
FORBIDDEN = {
    "import scipy, full path": (
        ["import scipy", "def softmax(z):\n    return scipy.special.softmax(z)"], ("softmax",), SOFTMAX),
    "import scipy.special as ss": (
        ["import scipy.special as ss", "def softmax(z):\n    return ss.softmax(z)"], ("softmax",), SOFTMAX),
    "from scipy import special": (
        ["from scipy import special", "def softmax(z):\n    return special.softmax(z, axis=-1)"],
        ("softmax",), SOFTMAX),
    "from scipy.special import softmax as sm": (
        ["from scipy.special import softmax as sm", "def softmax(z):\n    return sm(z)"], ("softmax",), SOFTMAX),
    "alias chain f = ...; g = f, then f rebound": (
        ["import scipy.special", "f = scipy.special.softmax\ng = f\nf = abs",
         "def softmax(z):\n    return g(z)"], ("softmax",), SOFTMAX),
    "alias of an import alias": (
        ["from scipy.special import log_softmax as ls\nmine = ls", "def softmax(z):\n    return mine(z)"],
        ("softmax",), ["scipy.special.log_softmax"]),
    "tuple assignment alias": (
        ["import numpy as np\nimport scipy.special as ss\nsm, ex = ss.softmax, np.exp",
         "def softmax(z):\n    return sm(z)"], ("softmax",), SOFTMAX),
    "function kept in a dict": (
        ["import scipy.special as ss\nACTS = {}\nACTS['softmax'] = ss.softmax",
         "def softmax(z):\n    return ACTS['softmax'](z)"], ("softmax",), SOFTMAX),
    "functools.partial at module level": (
        ["import functools, scipy.special\nsm = functools.partial(scipy.special.softmax, axis=1)",
         "def softmax(z):\n    return sm(z)"], ("softmax",), SOFTMAX),
    "the graded name itself is the import": (
        ["def softmax(z):\n    raise NotImplementedError", "from scipy.special import softmax"],
        ("softmax",), SOFTMAX),
    "the graded name is assigned the library function": (
        ["import scipy.special", "softmax = scipy.special.softmax"], ("softmax",), SOFTMAX),
    "lambda at top level": (
        ["import scipy.special as ss", "softmax = lambda z: ss.softmax(z)"], ("softmax",), SOFTMAX),
    "local from-import inside the function": (
        ["def softmax(z):\n    from scipy.special import softmax\n    return softmax(z)"], ("softmax",), SOFTMAX),
    "local import as, then local alias": (
        ["""
         def softmax(z):
             import scipy.special as sp
             s = sp
             f = s.softmax
             return f(z)
         """], ("softmax",), SOFTMAX),
    "helper chain of depth 2": (
        ["from scipy.special import softmax as sm",
         "def helper_b(z):\n    return sm(z)",
         "def helper_a(z):\n    return helper_b(z) * 1.0",
         "def cross_entropy(z, y):\n    return -(y * helper_a(z)).sum()"], ("cross_entropy",), SOFTMAX),
    "helper defined after the graded function": (
        ["def softmax(z):\n    return helper(z)", "import scipy.special\ndef helper(z):\n"
         "    return scipy.special.softmax(z)"], ("softmax",), SOFTMAX),
    "nested function and a comprehension": (
        ["""
         import scipy.special as ss
         def softmax(z):
             def inner(row):
                 return ss.softmax(row)
             return [inner(r) for r in z]
         """], ("softmax",), SOFTMAX),
    "decorator": (
        ["""
         import autograd
         @autograd.primitive
         def backprop(W, x):
             return W @ x
         """], ("backprop",), ["autograd"]),
    "student's decorator that uses the library": (
        ["""
         from autograd import grad
         def with_grad(f):
             return grad(f)
         @with_grad
         def backprop(W):
             return (W ** 2).sum()
         """], ("backprop",), ["autograd"]),
    "default argument": (
        ["import scipy.special", "def softmax(z, f=scipy.special.softmax):\n    return f(z)"],
        ("softmax",), SOFTMAX),
    "getattr with a literal": (
        ["import scipy, scipy.special", "def softmax(z):\n    return getattr(scipy.special, 'softmax')(z)"],
        ("softmax",), SOFTMAX),
    "getattr with concatenated literal": (
        ["from scipy import special", "def softmax(z):\n    return getattr(special, 'soft' + 'max')(z)"],
        ("softmax",), SOFTMAX),
    "getattr with a name bound to a literal": (
        ["import scipy.special as ss\nNAME = 'softmax'", "def softmax(z):\n    return getattr(ss, NAME)(z)"],
        ("softmax",), SOFTMAX),
    "__import__ with a literal": (
        ["def softmax(z):\n    return __import__('scipy.special').special.softmax(z)"], ("softmax",), SOFTMAX),
    "importlib.import_module with a literal": (
        ["import importlib", "def softmax(z):\n    return importlib.import_module('scipy.special').softmax(z)"],
        ("softmax",), SOFTMAX),
    "sys.modules with a literal": (
        ["import sys, scipy.special", "def softmax(z):\n    return sys.modules['scipy.special'].softmax(z)"],
        ("softmax",), SOFTMAX),
    "star import": (
        ["from scipy.special import *", "def softmax_ce(z, y):\n    return -(y * log_softmax(z)).sum()"],
        ("softmax_ce",), ["scipy.special.log_softmax"]),
    "star import over the student's own softmax": (
        ["def softmax(z):\n    return z", "from scipy.special import *",
         "def ce(z, y):\n    return -(y * softmax(z)).sum()"], ("ce",), SOFTMAX),
    "conditional import in try/except": (
        ["try:\n    from scipy.special import softmax as sm\nexcept ImportError:\n    sm = None",
         "def softmax(z):\n    return sm(z)"], ("softmax",), SOFTMAX),
    "private re-export path": (
        ["from scipy.special._logsumexp import softmax as sm", "def softmax(z):\n    return sm(z)"],
        ("softmax",), SOFTMAX),
    "class method used through an instance": (
        ["""
         import scipy.special as ss
         class Layer:
             def forward(self, z):
                 return ss.softmax(z)
         """, "def softmax(z):\n    return Layer().forward(z)"], ("softmax",), SOFTMAX),
    "module-level instance of a class": (
        ["import scipy.special as ss\nclass Layer:\n    def __call__(self, z):\n        return ss.softmax(z)",
         "layer = Layer()", "def softmax(z):\n    return layer(z)"], ("softmax",), SOFTMAX),
    "import autograd.numpy as np, then np.exp with grad": (
        ["import numpy as np", "import autograd.numpy as np\nfrom autograd import grad",
         """
         def loss(W):
             return np.exp(W).sum()
         def backprop(W):
             return grad(loss)(W)
         """], ("backprop",), ["autograd"]),
    "only autograd.numpy's exp": (
        ["import autograd.numpy as np", "def forward(W):\n    return np.exp(W)"], ("forward",), ["autograd"]),
    "gradient function built at module level": (
        ["import autograd", "def loss(W):\n    return (W ** 2).sum()\ng = autograd.grad(loss)",
         "def backprop(W):\n    return g(W)"], ("backprop",), ["autograd"]),
    "torch.autograd.grad": (
        ["import torch", "def backprop(W, x):\n    W = torch.tensor(W)\n    return torch.autograd.grad(W, x)"],
        ("backprop",), ["torch"]),
    "from torch import autograd as ag": (
        ["from torch import autograd as ag", "def backprop(W):\n    return ag.grad(W)"], ("backprop",), ["torch"]),
    "jax.numpy local import": (
        ["def backprop(W):\n    import jax.numpy as jnp\n    return jnp.tanh(W)"], ("backprop",), ["jax"]),
    "tensorflow GradientTape in a with statement": (
        ["import tensorflow as tf", "def backprop(W):\n    with tf.GradientTape() as tape:\n"
         "        y = W * W\n    return tape.gradient(y, W)"], ("backprop",), ["tensorflow"]),
    "several graded functions, several libraries": (
        ["import scipy.special as ss\nimport jax", "def softmax(z):\n    return ss.softmax(z)",
         "def backprop(W):\n    return jax.grad(lambda w: w)(W)"], ("softmax", "backprop"), ["jax"] + SOFTMAX),
    "walrus inside the function": (
        ["import scipy.special as ss", "def softmax(z):\n    if (f := ss.softmax) is not None:\n"
         "        return f(z)"], ("softmax",), SOFTMAX),
    "magics in the cell do not hide it": (
        ["%matplotlib inline\n!pip install scipy\nfrom scipy.special import softmax as sm\n"
         "def softmax(z):\n    return sm(z)"], ("softmax",), SOFTMAX),
    "exec of a literal at top level": (
        ["exec('from scipy.special import softmax as sm')", "def softmax(z):\n    return sm(z)"],
        ("softmax",), SOFTMAX),
    "run_cell of a literal": (
        ["get_ipython().run_cell('import torch')", "def backprop(W):\n    return torch.exp(W)"],
        ("backprop",), ["torch"]),
    "exec and eval of literals inside the function": (
        ["def softmax(z):\n    exec('import scipy.special as ss')\n    return eval('ss.softmax')(z)"],
        ("softmax",), SOFTMAX),
    "a helper binds the alias through global": (
        ["def setup():\n    global sm\n    import scipy.special\n    sm = scipy.special.softmax\nsetup()",
         "def softmax(z):\n    return sm(z)"], ("softmax",), SOFTMAX),
    # found by the third attack review: code the reading skipped or could not follow
    "an import run by %time": (
        ["%time from scipy.special import softmax as _s", "def softmax(z):\n    return _s(z)"], ("softmax",), SOFTMAX),
    "an import in a %%capture cell": (
        ["%%capture\nfrom scipy.special import softmax as _s", "def softmax(z):\n    return _s(z)"],
        ("softmax",), SOFTMAX),
    "an IPython escaped call makes the cell unreadable as plain Python": (
        ["from scipy.special import softmax as sm\n/print 'x'\ndef softmax(z):\n    return sm(z)"],
        ("softmax",), SOFTMAX),
    "global in a nested function": (
        ["def outer():\n    def inner():\n        global sm\n        from scipy.special import softmax as sm\n"
         "    inner()\nouter()", "def softmax(z):\n    return sm(z)"], ("softmax",), SOFTMAX),
    "global declared inside an if": (
        ["def setup(on=True):\n    if on:\n        global sm\n        import scipy.special\n"
         "        sm = scipy.special.softmax\nsetup()", "def softmax(z):\n    return sm(z)"], ("softmax",), SOFTMAX),
    "global in a method": (
        ["class Setup:\n    def run(self):\n        global sm\n        from scipy.special import softmax as sm\n"
         "Setup().run()", "def softmax(z):\n    return sm(z)"], ("softmax",), SOFTMAX),
    "a module kept in a dict, taken out by key": (
        ["import scipy.special as sp\nlibs = {'special': sp}", "def softmax(z):\n    return libs['special'].softmax(z)"],
        ("softmax",), SOFTMAX),
    "a package kept in a list": (
        ["import scipy\nimport scipy.special\nlibs = [scipy]", "def softmax(z):\n    return libs[0].special.softmax(z)"],
        ("softmax",), SOFTMAX),
    "a module returned by a call": (
        ["import scipy.special as sp\ndef pick():\n    return sp", "def softmax(z):\n    return pick().softmax(z)"],
        ("softmax",), SOFTMAX),
    "vars() of the module": (
        ["import scipy.special", "def softmax(z):\n    return vars(scipy.special)['softmax'](z)"], ("softmax",), SOFTMAX),
    "the module's __dict__ through .get": (
        ["import scipy.special as sp", "def softmax(z):\n    return sp.__dict__.get('softmax')(z)"],
        ("softmax",), SOFTMAX),
    "a comment ending in ? next to a magic": (
        ["%matplotlib inline\nfrom scipy.special import softmax as sm  # allowed?\nnp.exp?\n?sm\n"
         "def softmax(z):\n    return sm(z)"], ("softmax",), SOFTMAX),
}


@pytest.mark.parametrize("texts, names, expected", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_forbidden_use_is_found(texts, names, expected):
    assert uses(texts, names) == expected


FAIR = {
    "own helper named softmax": (
        ["import numpy as np\nfrom scipy.special import softmax",
         "def softmax(z):\n    e = np.exp(z - z.max())\n    return e / e.sum()",
         "def cross_entropy(z, y):\n    return -(y * np.log(softmax(z))).sum()"],
        ("cross_entropy", "softmax"), "numpy"),
    "allowed functions of the same module": (
        ["import numpy as np\nimport scipy.special\nfrom scipy.special import expit, logsumexp as lse",
         "def softmax(z):\n    return np.exp(z - lse(z)) + 0 * expit(z) + 0 * scipy.special.logsumexp(z)"],
        ("softmax",), "numpy"),
    "forbidden import used only by a function the graded one does not call": (
        ["import numpy as np\nimport scipy.special as ss\nimport autograd",
         "def reference(z):\n    return ss.softmax(z)\ncheck = autograd.grad(reference)",
         "def softmax(z):\n    e = np.exp(z)\n    return e / e.sum()"], ("softmax",), "numpy"),
    "parameter shadows the import": (
        ["from scipy.special import softmax", "def apply(z, softmax):\n    return softmax(z)"], ("apply",), None),
    "local name shadows the import": (
        ["from scipy.special import softmax", "import numpy as np",
         "def ce(z, y):\n    softmax = lambda v: np.exp(v) / np.exp(v).sum()\n    return -(y * softmax(z)).sum()"],
        ("ce",), "numpy"),
    "comprehension variable shadows the import": (
        ["from scipy.special import softmax", "def pick(zs):\n    return [softmax for softmax in zs]"],
        ("pick",), None),
    "the name only in a comment, docstring and string": (
        ['''
         import numpy as np
         def softmax(z):
             """Like scipy.special.softmax, but by hand (no torch, no autograd)."""
             # not scipy.special.softmax
             note = "scipy.special.softmax"
             e = np.exp(z - z.max())
             return e / e.sum()
         '''], ("softmax",), "numpy"),
    "magics in the cell": (
        ["%matplotlib inline\n!pip install numpy\nimport numpy as np\nfiles = !ls\n"
         "def softmax(z):\n    %time x = 1\n    e = np.exp(z)\n    return e / e.sum()\nnp.exp?",
         "%%time\nimport numpy as np"], ("softmax",), "numpy"),
    "a syntax-error cell elsewhere": (
        ["import numpy as np", "from scipy.special import softmax as sm\ndef broken(:\n",
         "def softmax(z):\n    return np.exp(z) / np.exp(z).sum()"], ("softmax",), "numpy"),
    "an earlier import replaced by the student's own def": (
        ["from scipy.special import softmax", "import numpy as np\ndef softmax(z):\n    return np.exp(z)"],
        ("softmax",), "numpy"),
    "a method of the student's object that is called softmax": (
        ["import scipy.special", "def ce(model, z):\n    return model.softmax(z) + model.torch"], ("ce",), None),
    "module name that only starts like a forbidden one": (
        ["import torchvision\nimport jaxtyping\nfrom autograder_utils import grad",
         "def backprop(W):\n    return torchvision.ops.nms(W) + jaxtyping.Float + grad(W)"],
        ("backprop",), "torchvision"),
    "course-locked cells and builtins": (
        ["import numpy as np\nfrom dlcourse.data import load_digits\nX, y = load_digits()",
         "def forward(W):\n    return np.tanh(W @ X.T).sum() + len(y) + max(1, 2)"], ("forward",), "dlcourse"),
    "autograd imported for the course's gradient check, not used": (
        ["import numpy as np\nimport autograd.numpy as anp\nfrom autograd import grad",
         "def backprop(W, x):\n    return np.outer(W @ x, x)",
         "assert np.allclose(backprop(np.eye(2), np.ones(2)), grad(lambda W: anp.sum((W @ np.ones(2)) ** 2) / 2)"
         "(np.eye(2)))"], ("backprop",), "numpy"),
    "recursive and mutually recursive helpers": (
        ["import numpy as np\ndef a(n):\n    return b(n - 1) if n else np.exp(0)\ndef b(n):\n    return a(n)",
         "def softmax(z):\n    x = softmax\n    y = x\n    x = y\n    return a(3) * z"], ("softmax",), "numpy"),
}


@pytest.mark.parametrize("texts, names, reached", FAIR.values(), ids=FAIR.keys())
def test_fair_code_is_not_flagged(texts, names, reached):
    assert uses(texts, names) == []
    if reached:     # the control: the graded code was read (a cell that fails to parse would also give [])
        assert library_use(cells(*texts), names, modules=[reached]) == [reached]


def test_later_binding_replaces_earlier():
    own = "import numpy as np\ndef sm(z):\n    return np.exp(z)"
    lib = "from scipy.special import softmax as sm"
    user = "def softmax(z):\n    return sm(z)"
    assert uses([lib, own, user]) == []
    assert uses([own, lib, user]) == SOFTMAX


def test_last_definition_of_the_graded_function_counts():
    bad = "import scipy.special\ndef softmax(z):\n    return scipy.special.softmax(z)"
    good = "import numpy as np\ndef softmax(z):\n    return np.exp(z) / np.exp(z).sum()"
    assert uses([bad, good]) == []
    assert uses([good, bad]) == SOFTMAX


def test_objects_and_modules_are_independent():
    src = cells("import scipy.special, torch", "def f(z):\n    return scipy.special.softmax(torch.exp(z))")
    assert library_use(src, ["f"], objects=OBJECTS) == SOFTMAX
    assert library_use(src, ["f"], modules=["torch"]) == ["torch"]
    assert library_use(src, ["f"]) == []
    assert library_use(src, ["f"], modules=["torch.autograd"]) == []     # a submodule prefix is narrower


def test_an_unknown_graded_name_finds_nothing():
    assert uses(["from scipy.special import softmax"], ("not_defined",)) == []


@pytest.mark.parametrize("weird_cells", [
    None, 42, [], [""], [None, 3, b"\xff", object()], "def softmax(:", ["(" * 500],
    ["x = " + " + ".join(["1"] * 20000), "def softmax(z):\n    return z"],
])
def test_weird_input_never_raises(weird_cells):
    assert library_use(weird_cells, ["softmax"], OBJECTS, MODULES) == []
    assert dynamic_code(weird_cells, ["softmax"]) == []


def test_weird_arguments_never_raise():
    src = cells("from scipy.special import softmax as sm", "def softmax(z):\n    return sm(z)")
    assert library_use(src, "softmax", "scipy.special.softmax", "torch") == SOFTMAX     # strings for lists
    assert library_use(src, None, OBJECTS, MODULES) == []
    assert library_use(src, ["softmax", 3], {"scipy.special.softmax": None}, None) == SOFTMAX


def test_ipynb_style_cells_bytes_and_a_bare_string():
    lines = ["from scipy.special import softmax as sm\n", "def softmax(z):\n", "    return sm(z)\n"]
    assert library_use([lines], ["softmax"], OBJECTS) == SOFTMAX
    assert library_use(["".join(lines).encode()], ["softmax"], OBJECTS) == SOFTMAX
    assert library_use("".join(lines), ["softmax"], OBJECTS) == SOFTMAX


def test_deeply_nested_code_in_the_graded_function_never_raises():
    padding = " + ".join(["z"] * 2000)      # about the most that still compiles
    assert uses(["import scipy.special as ss",
                 f"def softmax(z):\n    return ss.softmax(z) + {padding}"]) == SOFTMAX
    chain = "ss" + ".T" * 2000 + ".softmax"
    assert uses(["import torch as ss", f"def softmax(z):\n    return {chain}(z)"]) == ["torch"]
    calls = "ss.softmax" + "(z)" * 2000
    assert uses(["import scipy.special as ss", f"def softmax(z):\n    return {calls}"]) == SOFTMAX
    strings = " + ".join(["'a'"] * 2000)
    assert uses(["import scipy.special as ss",
                 f"def softmax(z):\n    return ss.softmax(print({strings}))"]) == SOFTMAX


def test_a_very_deep_helper_chain():
    chain = [f"def h{i}(z):\n    return h{i + 1}(z)" for i in range(300)]
    chain.append("import scipy.special\ndef h300(z):\n    return scipy.special.softmax(z)")
    assert library_use(chain, ["h0"], OBJECTS) == SOFTMAX


# -- dynamic_code -------------------------------------------------------------------------------

DYNAMIC = {
    "eval": ("def f(z):\n    return eval('z + 1')", ["eval"]),
    "exec": ("def f(z):\n    exec('y = 1')\n    return z", ["exec"]),
    "compile": ("def f(z):\n    return compile('1', 'x', 'eval')", ["compile"]),
    "__import__": ("def f(z):\n    return __import__('numpy').exp(z)", ["__import__"]),
    "importlib": ("import importlib\ndef f(z, m):\n    return importlib.import_module(m)", ["importlib"]),
    "from importlib import": ("from importlib import import_module as im\ndef f(m):\n    return im(m)",
                              ["importlib"]),
    "computed getattr": ("import numpy as np\ndef f(z, name):\n    return getattr(np, name)(z)",
                         ["getattr with a computed name"]),
    "globals": ("def f(z):\n    return globals()['g'](z)", ["globals()/locals()/vars()"]),
    "vars and locals": ("def f(z):\n    return vars(z), locals()", ["globals()/locals()/vars()"]),
    "sys.modules": ("import sys\ndef f(z, m):\n    return sys.modules[m]", ["sys.modules"]),
    "several, through a helper": ("def helper(s):\n    return eval(s) or exec(s)\ndef f(z):\n    return helper(z)",
                                  ["eval", "exec"]),
}


@pytest.mark.parametrize("src, expected", DYNAMIC.values(), ids=DYNAMIC.keys())
def test_dynamic_code_is_noted(src, expected):
    assert dynamic_code([src], ["f"]) == expected


@pytest.mark.parametrize("src", [
    "import numpy as np\ndef f(z):\n    return getattr(np, 'exp')(z) + np.sum(z)",      # a literal name is static
    "def other(s):\n    return eval(s)\ndef f(z):\n    return z",                          # not reached
    "import importlib, sys\ndef f(z):\n    '''no eval, no exec, no sys.modules'''\n    return z",
    "def f(z, eval):\n    return eval(z)",                                                 # a parameter
])
def test_static_code_has_no_dynamic_note(src):
    assert dynamic_code([src], ["f"]) == []


# ---- run-time rewriting anywhere in the notebook (grader.checks._static.tampering) -------------

def test_any_librarys_softmax_and_derivative_is_found():
    """The rules name any installed library's softmax ("*.softmax") and numerical derivative, not only
    scipy's (sklearn's softmax and SciPy's private approx_derivative earned full marks)."""
    from grader.checks import a1
    from grader.checks._core import AUTODIFF

    found = library_use(cells("from sklearn.utils.extmath import softmax as sm", "def softmax(z):\n    return sm(z)"),
                        ["softmax"], *a1.BY_HAND[:2])
    assert found == ["sklearn.utils.extmath.softmax"]
    found = library_use(cells("from scipy.optimize._numdiff import approx_derivative",
                              "def cost(p):\n    return p @ p, approx_derivative(lambda q: q @ q, p)"),
                        ["cost"], *AUTODIFF[:2])
    assert found == ["scipy.optimize._numdiff.approx_derivative"]
    found = library_use(cells("import numpy as np", "def cost(p):\n    return p @ p, np.gradient(p)"),
                        ["cost"], *AUTODIFF[:2])
    assert found == ["numpy.gradient"]
    # the student's own methods and the course's allowed helpers keep their names
    fair = ["import numpy as np\nfrom scipy.special import logsumexp, expit",
            "class Net:\n    def softmax(self, z):\n        return np.exp(z - logsumexp(z))\n"
            "nets = {'a': Net(), 'zeros': np.zeros(3)}",
            "def softmax(z):\n    return nets['a'].softmax(z) + np.asarray(z).sum() * expit(0)"]
    assert library_use(cells(*fair), ["softmax"], *a1.BY_HAND[:2]) == []
    assert library_use(cells(*fair), ["softmax"], modules=["numpy"]) == ["numpy"]      # the control: it was read


from grader.checks._static import tampering  # noqa: E402


@pytest.mark.parametrize("cell, what", [
    ("import scipy.special\nglobals()['soft' + 'max'] = lambda Z: scipy.special.softmax(Z, axis=1)", "globals()"),
    ("get_ipython().input_transformers_post.append(lambda lines: lines)", "input_transformers_post"),
    ("ip = get_ipython()\nip.events.register('pre_run_cell', print)", "events"),
    ("import dlcourse.record as r\nr.run_calls = lambda *a: None", "changes r.run_calls"),
    ("from dlcourse import record\nsetattr(record, 'record', print)", "recorder"),
    ("m = [__builtins__][0]\nsetattr(m, 'record', print)", "recorder"),
    ("import numpy as np\nnp.exp = lambda x: x", "changes np.exp"),
    # found by an attack review: the recorder's evidence switched off, through any path to it
    ("import dlcourse.record as _R\n_R._same = lambda a, b: True", "changes _R._same"),
    ("import dlcourse.record\n_c = dlcourse.record.call\ndlcourse.record.call = lambda f, a, k: _c(f, a, k)",
     "changes dlcourse.record.call"),
    ("m = np\nm.allclose = lambda *a, **k: True", "changes m.allclose"),
    ("[np][0].allclose = print", "changes [np][0].allclose"),
    ("def patch(mod):\n    mod.allclose = print\npatch(np)", "a name of numpy"),
    ("np.allclose.__code__ = print.__code__", "__code__"),
    # the second review's: aliases through calls, sys under another name, special attributes
    ("import sys as _sy\nR = _sy.modules.get('dlcourse.record')\nR.call = print", "modules table"),
    ("import warnings\nW = type(warnings.catch_warnings())\nW.__enter__ = print", "special attribute"),
    ("_m = (lambda: np)()\n_m.array_equal = lambda *a, **k: True", "changes _m.array_equal"),
    ("_m = {'numpy': np}.get('numpy')\n_m.array_equal = lambda *a, **k: True", "changes _m.array_equal"),
    ("import warnings\ndef p(c):\n    c.__enter__ = print\np(warnings.catch_warnings)", "special attribute"),
    ("import functools\nfunctools.partial(setattr, np)('allclose', print)", "passes setattr"),
    ("def mod():\n    return np\nmod().allclose = print", "changes mod().allclose"),
    ("class C:\n    m = np\nC.m.allclose = print", "changes C.m.allclose"),
    ("def f(m=np):\n    m.allclose = print", "a name of numpy"),
    ("%time np.allclose = print", "changes np.allclose"),
    ("%config InteractiveShell.ast_node_interactivity = 'none'", "%config"),
    ("open('helper_i_wrote.py', 'w').write('x')\nimport helper_i_wrote", "a module the notebook wrote"),
    ("import gc\n[o for o in gc.get_objects()]", "gc.get_objects"),
    ("import sys\nf = sys._getframe(1)", "sys._getframe"),
    ("import inspect as ins\nf = ins.currentframe()", "ins.currentframe"),
    ("from sys import modules\nmodules['grader'] = None", "imports modules"),
    ("import sys\nsys.modules['grader'] = None", "sys.modules"),
    ("exec(open('x.py').read())", "exec()"),
    ("m = __import__('sci' + 'py.special')", "__import__()"),
    ("import importlib\nm = importlib.import_module('scipy.special')", "import_module"),
    ("vars()['softmax'] = print", "vars()"),
    ("import operator, scipy\nsm = operator.attrgetter('special.softmax')(scipy)", "attrgetter"),
    ("import scipy.special\nsm = scipy.special.__getattribute__('softmax')", "__getattribute__"),
    ("import pkgutil\nsm = pkgutil.resolve_name('scipy.special:softmax')", "resolve_name"),
    ("import scipy\nname = 'special'\nsm = getattr(scipy, name).softmax", "getattr with a computed name"),
    # a module's own tables (the recorder's deepcopy reads copy._deepcopy_dispatch), through any alias
    ("import copy\ncopy._deepcopy_dispatch[dict] = lambda x, memo: x", "copy._deepcopy_dispatch"),
    ("import copy\ndisp = copy._deepcopy_dispatch\ndisp[dict] = lambda x, memo: x", "changes disp"),
    ("import copy\nd = {'c': copy._deepcopy_dispatch}\nd['c'][dict] = lambda x, memo: x", "changes d['c']"),
    ("import copy\nfor m in (copy,):\n    m._deepcopy_dispatch[dict] = lambda x, memo: x", "m._deepcopy_dispatch"),
    ("import copy\nmods = [copy]\nname = '_reconstruct'\nsetattr(mods[0], name, print)", "setattr with a computed"),
    ("def patch(obj, name):\n    setattr(obj, name, print)\npatch(np, 'array_equal')", "setattr with a computed"),
    ("import threadpoolctl\napi = threadpoolctl.ctypes.pythonapi", "native code"),
    ("x = np.zeros(3)\np = x.ctypes.data", "native code"),
    ("import importlib.machinery as m\nm.ExtensionFileLoader('e', '/tmp/e.so')", "ExtensionFileLoader"),
    ("import _imp", "imports _imp"),
    # the fourth review's: code that runs beside the recording (a thread rewrote the records, or swapped a
    # library's results in), however it is started
    ("import threading\nthreading.Thread(target=print, daemon=True).start()", "imports threading"),
    ("from concurrent.futures import ThreadPoolExecutor", "imports concurrent"),
    ("import multiprocessing as mp", "imports multiprocessing"),
    ("import asyncio\nasyncio.get_event_loop().call_later(1, print)", "imports asyncio"),
    ("import signal\nsignal.signal(signal.SIGALRM, lambda *a: None)", "installs a signal handler"),
    ("import signal as s\nh = print\ns.signal(s.SIGUSR1, h)", "installs a signal handler"),
    ("from signal import signal", "imports signal.signal"),
    ("import weakref\nweakref.finalize(object(), print)", "imports weakref"),
    ("from tornado.ioloop import IOLoop", "imports tornado"),
    ("from IPython.lib import backgroundjobs", "imports backgroundjobs"),
    ("import IPython.lib.backgroundjobs as bg", "imports IPython.lib.backgroundjobs"),
    ("class Holder:\n    def __del__(self):\n        pass", "defines __del__"),
    ("class Holder:\n    __del__ = print", "defines __del__"),
])
def test_run_time_rewriting_is_found_anywhere_in_the_notebook(cell, what):
    found = tampering(["import numpy as np", "def softmax(Z):\n    return Z", cell])
    assert found and any(what in f for f in found) and all(f.startswith("cell 3, line ") for f in found)


def test_ordinary_notebooks_do_not_look_like_rewriting():
    cells = ["%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt",
             "plt.rcParams['figure.figsize'] = (4, 3)\nnp.random.seed(0)\nnp.set_printoptions(precision=3)",
             "import pandas as pd\npd.options.display.max_rows = 5",
             "def softmax(Z):\n    Z = Z - Z.max(axis=1, keepdims=True)\n    E = np.exp(Z)\n    return E / E.sum(axis=1, keepdims=True)",
             "class Net:\n    def __init__(self):\n        self.W = np.zeros(3)\nnet = Net()\nnet.W = np.ones(3)",
             "setattr(net, 'b', 0.0)\nfrom IPython.display import display\nimport sys\nprint(sys.float_info.eps)",
             "%timeit -n 3 softmax(np.zeros((2, 3)))\n!ls\nnp.exp?\nfrom dlcourse.gradcheck import check_gradient",
             "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGINT, signal.SIG_DFL)",
             "dtype = np.float32\nx = np.zeros(3, dtype=dtype)\nx[0] = 1\nrng = np.random.default_rng(0)",
             # honest cells the second review found flagged (each zeroed a whole notebook)
             "try:\n    import seaborn as sns\nexcept ImportError:\n    sns = None",
             "%config InlineBackend.figure_format = 'retina'\n%load_ext autoreload\n%autoreload 2\n%xmode Minimal",
             "%%capture\n!pip install tqdm",
             "from scipy import stats\ndef summarize(x):\n    stats = {'m': 1}\n    return stats",
             "from types import SimpleNamespace\nimport pickle\nimport gc\ngc.collect()\nimport inspect\n"
             "inspect.signature(print)\nimport importlib, math\nimportlib.reload(math)",
             "import os, sys\nos.environ['OMP_NUM_THREADS'] = '1'\nsys.setrecursionlimit(5000)",
             "class A:\n    count = 0\n    def __init__(self, **kw):\n        for k, v in kw.items():\n"
             "            setattr(self, k, v)\n        type(self).count += 1\n        d = vars(self)\n"
             "        e = self.__dict__\n    def run(self, name):\n        return getattr(self, name)()",
             "def softmax_xp(Z, xp=np):\n    return xp.exp(Z)\ndef draw(ax=plt):\n    return ax\n"
             "def show(m, x):\n    pass\nshow(plt, 1)",
             "def adam(params, grad_fn, state=None, lr=1e-3):\n    state = state or SimpleNamespace(t=0, m={}, v={})\n"
             "    state.t += 1\n    return params, state",
             "this is not python ("]
    assert tampering(cells) == []


def test_the_notebooks_own_objects_and_tables_are_not_rewriting():
    """Honest cells the third attack review found flagged (each zeroed a whole notebook): attributes
    named like NumPy's on the notebook's own objects, its own dicts that hold np.inf, setattr on its
    own objects by name, rows of its own arrays."""
    cells = ["import numpy as np\nimport os\nfrom dataclasses import dataclass",
             "class Summary:\n    pass\nsummary = Summary()\nsummary.mean = float(np.mean([1.0, 2.0]))\n"
             "summary.std = 0.0",
             "best = {'err': np.inf, 'lam': None}\nfor lam in [0.1, 1.0]:\n    if lam < best['err']:\n"
             "        best['err'] = lam\n        best['lam'] = lam",
             "results = {'sgd': np.nan, 'pi': np.pi}\nresults['sgd'] = 0.5\nresults['adam'] = [np.float32(1)]",
             "@dataclass\nclass Info:\n    size: int = 0\ninfo = Info()\ninfo.size = 3",
             "digit = np.zeros(784)\ndigit.shape = (28, 28)\nclass Cfg:\n    pass\ncfg = Cfg()\ncfg.stat = os.getcwd()",
             "hp = Cfg()\nfor name, value in {'lr': 0.1, 'gamma': 0.9}.items():\n    setattr(hp, name, value)",
             "grid = [[np.inf] * 3 for _ in range(3)]\ngrid[0][1] = 2.0\ntable = [[np.inf, np.inf], [1.0, 2.0]]\n"
             "table[0][1] = 3.0",
             "for row in np.zeros((3, 3)):\n    row[0] = 1.0\nrow = np.zeros((3, 3))[0]\nrow[1] = 5.0",
             "for root, dirs, files in os.walk('.'):\n    dirs[:] = []"]
    assert tampering(cells) == []


def test_aliases_built_to_stall_the_reader_are_read_in_linear_steps(monkeypatch):
    """Two bindings per level inside a branch doubled the work per level (2^40 steps, found by an
    attack); each alias is now resolved once. Code beyond the step budget is reported, not trusted."""
    from grader.checks import _static

    lines = ["import numpy as np", "a0 = np.exp", "if True:"]
    for k in range(1, 41):
        lines += [f"    a{k} = a{k - 1}", f"    a{k} = a{k - 1}"]
    lines += ["def softmax(Z):", "    return a40(Z)"]
    monkeypatch.setattr(_static, "MAX_STEPS", 5_000)
    assert _static.library_use(["\n".join(lines)], ["softmax"], ("scipy.special.softmax",)) == []
    monkeypatch.setattr(_static, "MAX_STEPS", 50)
    with pytest.raises(_static.TooComplex):
        _static.library_use(["\n".join(lines)], ["softmax"], ("scipy.special.softmax",))


def test_a_long_chain_of_aliases_is_read_in_linear_work(monkeypatch):
    # an attack review: aliases written so that each pass of a loop over the whole notebook found one
    # more (a{i} = a{i-1} in reverse order) kept the grader's reading busy for a pass per link: hours at
    # 15,000 links, and the class was never graded. Counted in work done, not in seconds.
    from grader.checks import _static

    n = 3000
    chain = "\n".join(["import numpy as np", "def _never_called():"]
                      + [f"    a{i} = a{i - 1}" for i in range(n, 0, -1)] + ["    a0 = np"])
    calls = 0
    holds = _static._holds

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return holds(*args, **kwargs)

    monkeypatch.setattr(_static, "_holds", counting)
    found = tampering([chain, f"a{n}.exp = print"])        # still followed to its end: numpy patched
    assert found and any(f"changes a{n}.exp" in f for f in found)
    assert calls < 10 * n                                    # was about n * n / 2
