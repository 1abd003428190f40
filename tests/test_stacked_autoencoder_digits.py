"""The stacked autoencoder end to end on real digits (the embedded MNIST sample).

Small and seeded so it runs in seconds; the full-size figures are in benchmarks/.
"""
import numpy as np
import pytest

from dlcourse.data import load_digits
from grader.reference import softmax_regression as SR
from grader.reference import stacked_autoencoder as ST

pytestmark = pytest.mark.slow        # grades classes or runs notebooks: `make test`, not `make check`


@pytest.fixture(scope="module")
def trained():
    X_tr, y_tr, X_te, y_te = load_digits(n_train=1000, n_test=1000, seed=0)
    result = ST.fit(X_tr, y_tr, hidden_sizes=(64, 64), maxiter=100, progress=False)
    raw, _ = ST.train_softmax(X_tr, y_tr, lam=1e-4, maxiter=100, progress=False)
    acc = lambda pred: float(np.mean(pred == y_te))  # noqa: E731
    return {"before": acc(ST.predict(result["pretrained"], X_te)),
            "after": acc(ST.predict(result["finetuned"], X_te)),
            "raw": acc(SR.predict(raw, X_te)), "result": result}


def test_fine_tuning_beats_pretraining_alone(trained):
    assert trained["after"] > trained["before"] + 0.02, trained


def test_stack_beats_softmax_on_raw_pixels(trained):
    assert trained["after"] > trained["raw"], trained


def test_training_lowered_every_cost(trained):
    h = trained["result"]["histories"]
    for hist in h["autoencoders"] + [h["softmax"], h["finetune"]]:
        assert hist[-1] < hist[0]
