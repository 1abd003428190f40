"""Checks: compare what a student's functions returned with grader.reference and explain the verdict.

A hidden test cell is one line that only *records* (dlcourse.record, in the student's
sandboxed kernel), e.g.::

    record("test_softmax", softmax)

`CHECKS` says, for every autograded cell, which check judges it and which of the
student's functions it takes, by name. The grader plans each check's calls before the
notebook runs and judges the records after it (grader.preprocessors), in its own
process. `hidden_cell_source` is what every hidden test cell holds; a test keeps the
solution notebooks equal to it.
"""
from . import a1, a2, a3, a4, a5

#: assignment -> {grade_id: (check, [names of the student's functions it takes])}
CHECKS = {
    "a1-mle-losses": {
        "test_gaussian_nll": (a1.check_gaussian_nll, ["gaussian_nll"]),
        "test_mse": (a1.check_mse, ["half_sum_squared_error", "mean_squared_error"]),
        "test_sigmoid": (a1.check_sigmoid, ["sigmoid"]),
        "test_binary_cross_entropy": (a1.check_binary_cross_entropy, ["binary_cross_entropy"]),
        "test_bce_with_logits": (a1.check_bce_with_logits, ["binary_cross_entropy_with_logits"]),
        "test_softmax": (a1.check_softmax, ["softmax"]),
        "test_softmax_cross_entropy": (a1.check_softmax_cross_entropy, ["softmax_cross_entropy"]),
        "test_softmax_cross_entropy_grad": (a1.check_softmax_cross_entropy_grad, ["softmax_cross_entropy_grad"]),
    },
    "a2-regularization": {
        "test_l2": (a2.check_l2, ["l2_penalty", "l2_penalty_grad"]),
        "test_l1": (a2.check_l1, ["l1_penalty", "l1_penalty_grad"]),
        "test_weight_decay_step": (a2.check_weight_decay_step, ["weight_decay_step"]),
        "test_l1_step": (a2.check_l1_step, ["l1_step"]),
        "test_ridge_fit": (a2.check_ridge_fit, ["ridge_fit"]),
        "test_choose_lambda": (a2.check_choose_lambda, ["choose_lambda"]),
    },
    "a3-optimizers": {
        f"test_{name}": (getattr(a3, f"check_{name}"), [name])
        for name in ("gradient_descent", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam")
    },
    "a4-sparse-autoencoder": {
        "test_kl_divergence": (a4.check_kl_divergence, ["kl_divergence"]),
        "test_sparse_autoencoder_cost": (a4.check_cost, ["sparse_autoencoder_cost"]),
        "test_sparse_autoencoder_grad": (a4.check_grad, ["sparse_autoencoder_cost"]),
    },
    "a5-stacked-autoencoder": {
        "test_stack_features": (a5.check_stack_features, ["stack_features"]),
        "test_stacked_cost": (a5.check_cost, ["stacked_cost_and_grad"]),
        "test_stacked_grad": (a5.check_grad, ["stacked_cost_and_grad"]),
        "test_predict": (a5.check_predict, ["predict"]),
    },
}


def hidden_cell_source(grade_id, names):
    """The hidden part of an autograded cell: record what the named functions return."""
    return f"from dlcourse.record import record\nrecord({grade_id!r}, {', '.join(names)})"
