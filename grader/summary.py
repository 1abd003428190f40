"""summary.html: the class at a glance, for instructors (never for students).

For each assignment: how many submitted, the mean and median score, a histogram of the
scores; for each graded cell, its mean, how many earned full marks and how many nothing;
and the failures the class shares most (the checks' own sentences, e.g. "you used the
slides' beta2 = 0.9999", counted over the class, with numbers folded so that "off by about
3%" and "off by about 5%" count as one). Written by `python -m grader grade` and
`python -m grader feedback`, from the gradebook and the autograded notebooks.
"""
import base64
import collections
import html
import io
import re
import statistics
from pathlib import Path

import nbformat

from .assignments import ASSIGNMENTS

FAIL = re.compile(r"^\s*\[FAIL\] [^:]+: (?P<why>.+)$")
# what varies between students saying the same thing: measured values and line numbers, not the
# small integers of a formula ("(1 - y)")
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?%?|-?\d+e[-+]?\d+|\d+%|(?<=line )\d+")
TOP = 5


def failures(course):
    """{(assignment, test): Counter of failure sentences}, from the autograded notebooks."""
    found = collections.defaultdict(collections.Counter)
    for path in sorted(Path(course, "autograded").glob("*/*/*.ipynb")):
        assignment = path.parent.name
        if assignment not in ASSIGNMENTS or path.stem != assignment:
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:         # a graded notebook nbformat cannot read: nothing to count
            continue
        for cell in nb.cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
            if not gid.startswith("test_"):
                continue
            seen = set()
            for out in cell.get("outputs", []):
                for line in (out.get("text") or "").splitlines():
                    m = FAIL.match(line)
                    if m:
                        why = NUMBER.sub("#", m["why"]).strip()
                        seen.add(why if len(why) <= 400 else why[:399] + "…")
            found[(assignment, gid)].update(seen)      # a student counts once per sentence
    return found


def _histogram(scores, max_score, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 2.4), dpi=100)
    bins = max(5, min(20, int(max_score) + 1))
    ax.hist(scores, bins=bins, range=(0, max_score), color="#4477aa", edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.set_title(title, fontsize=10)
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def build(course):
    """Write course/summary.html; returns its path."""
    from nbgrader.api import Gradebook

    from .export import rows
    from .grading import per_test_rows

    course = Path(course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grades = list(rows(gb))
    tests = per_test_rows(course)
    fails = failures(course)
    esc = html.escape
    students = sorted({r["student_id"] for r in grades})
    parts = [f"<h1>Class summary</h1><p>{len(students)} students. Written answers not yet graded by hand "
             "count 0 here; rebuild this page after hand grading with <code>python -m grader feedback</code>.</p>"]
    for a in ASSIGNMENTS:
        mine = [r for r in grades if r["assignment"] == a]
        if not mine:
            continue
        graded = [float(r["score"]) for r in mine if r["status"] == "graded"]
        max_score = float(mine[0]["max_score"] or 0)
        parts.append(f"<h2>{esc(a)}</h2>")
        if not graded:
            parts.append(f"<p>No submissions yet ({len(mine)} students).</p>")
            continue
        late = sum(1 for r in mine if r["seconds_late"])
        pending = sum(1 for r in mine if r["hand_grading_pending"])
        parts.append(f"<p>{len(graded)} of {len(mine)} students submitted; mean {statistics.mean(graded):.1f}, "
                     f"median {statistics.median(graded):.1f} of {max_score:g} points; {late} late; "
                     f"{pending} with written answers still to grade by hand.</p>")
        parts.append(f'<img alt="histogram of {esc(a)} scores" src="data:image/png;base64,'
                     f'{_histogram(graded, max_score, a)}">')
        parts.append("<table><tr><th>graded cell</th><th>points</th><th>mean</th><th>full marks</th>"
                     "<th>nothing</th><th>the most common failures (students)</th></tr>")
        for gid, points in ASSIGNMENTS[a].items():
            got = [t for t in tests if t["assignment"] == a and t["test"] == gid]
            if not got:
                continue
            scores = [t["score"] or 0 for t in got]
            manual = gid.startswith("answer_")
            waiting = sum(1 for t in got if t["needs_manual_grade"])
            common = "".join(f"<li>{n} &times; {esc(why)}</li>" for why, n in fails[(a, gid)].most_common(TOP))
            parts.append(f"<tr><td><code>{esc(gid)}</code>{' (by hand)' if manual else ''}</td><td>{points:g}</td>"
                         f"<td>{statistics.mean(scores):.2f}</td>"
                         f"<td>{sum(1 for s in scores if s >= points)}</td><td>{sum(1 for s in scores if s == 0)}"
                         f"{f' ({waiting} not graded yet)' if manual and waiting else ''}</td>"
                         f"<td><ul>{common}</ul></td></tr>")
        parts.append("</table>")
    style = ("body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem}"
             "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .5rem;"
             "vertical-align:top;text-align:left}ul{margin:0;padding-left:1.2rem}")
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Class summary</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
    path = course / "summary.html"
    path.write_text(page, encoding="utf-8")
    return path
