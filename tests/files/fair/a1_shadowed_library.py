"""a1 variants where scipy's softmax is imported (e.g. to compare against while testing) but the
graded functions use the student's OWN softmax, defined later under the same name."""
import numpy as np
from scipy.special import softmax  # noqa: F401  (imported to compare while developing; shadowed below)
from scipy.special import logsumexp


def softmax(Z):  # noqa: F811  (the student's own, replaces scipy's)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def sce_grad_own_softmax_shadowing(Z, y):
    P = softmax(Z)
    P[np.arange(len(y)), y] -= 1
    return P / len(y)


def sce_own_softmax_shadowing(Z, y):
    m = len(y)
    return np.mean(logsumexp(Z, axis=1) - Z[np.arange(m), y])


FAIR = [
    ("test_softmax", (softmax,)),
    ("test_softmax_cross_entropy_grad", (sce_grad_own_softmax_shadowing,)),
    ("test_softmax_cross_entropy", (sce_own_softmax_shadowing,)),
]
