"""The course's assignments: ids and points, declared once.

Every graded cell of a solution notebook has a grade_id listed here with its
points; tests check that the notebooks' nbgrader metadata agree, and the checks
read their maximum score from here.
"""

#: assignment id -> {grade_id: points}. Autograded test cells start with "test_",
#: manually graded written answers with "answer_".
ASSIGNMENTS = {
    "a1-mle-losses": {
        "test_gaussian_nll": 2,
        "test_mse": 2,
        "test_sigmoid": 2,
        "test_binary_cross_entropy": 2,
        "test_bce_with_logits": 3,
        "test_softmax": 2,
        "test_softmax_cross_entropy": 3,
        "test_softmax_cross_entropy_grad": 3,
        "answer_mse_is_mle": 2,
    },
    "a2-regularization": {
        "test_l2": 3,
        "test_l1": 3,
        "test_weight_decay_step": 2,
        "test_l1_step": 2,
        "test_ridge_fit": 3,
        "test_choose_lambda": 2,
        "answer_l1_zeros": 2,
    },
    "a3-optimizers": {
        "test_gradient_descent": 1,
        "test_momentum": 2,
        "test_nesterov": 2,
        "test_adagrad": 2,
        "test_adadelta": 2,
        "test_rmsprop": 2,
        "test_adam": 3,
        "answer_bias_correction": 2,
    },
    "a4-sparse-autoencoder": {
        "test_kl_divergence": 1,
        "test_sparse_autoencoder_cost": 3,
        "test_sparse_autoencoder_grad": 5,
        "answer_small_rho": 2,
    },
    "a5-stacked-autoencoder": {
        "test_stack_features": 1,
        "test_stacked_cost": 2,
        "test_stacked_grad": 4,
        "test_predict": 1,
        "answer_finetuning": 2,
    },
}


def points(assignment, grade_id):
    """Maximum points of one graded cell."""
    try:
        return ASSIGNMENTS[assignment][grade_id]
    except KeyError:
        raise KeyError(f"no graded cell {grade_id!r} in assignment {assignment!r}") from None


def schedule(path=None):
    """Due dates and the zone for times given without one, from schedule.toml (or `path`).

    Returns (due, zone): due maps each assignment to an aware datetime, or None for no due date.
    Raises ValueError naming the file and the entry when one cannot be read.
    """
    import datetime as dt
    import tomllib
    from pathlib import Path
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    path = Path(path) if path else Path(__file__).resolve().parents[1] / "schedule.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    try:
        zone = ZoneInfo(data.get("timezone", "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{path}: unknown timezone {data.get('timezone')!r}") from None
    due = {}
    for name, when in data.get("due", {}).items():
        if name not in ASSIGNMENTS:
            raise ValueError(f"{path}: [due] names {name!r}, which is not an assignment "
                             f"({', '.join(ASSIGNMENTS)})")
        if not when:
            due[name] = None
            continue
        try:
            stamp = dt.datetime.fromisoformat(str(when))
        except ValueError:
            raise ValueError(f"{path}: due date of {name} is {when!r}, not an ISO 8601 time") from None
        due[name] = (stamp if stamp.tzinfo else stamp.replace(tzinfo=zone)).astimezone(dt.timezone.utc)
    return {a: due.get(a) for a in ASSIGNMENTS}, zone
