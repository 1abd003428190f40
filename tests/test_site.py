"""The static site (tools/build_site.py, `make site`): built for real, with the lectures executed,
then searched for anything of the hidden side; and the lectures' exercises and their answers."""
import os
import re
import subprocess
import sys

import nbformat
import pytest

from grader.assignments import ASSIGNMENTS
from grader.course import ROOT
from test_release import MARKERS, reference_lines, solution_lines

pytestmark = pytest.mark.slow        # executes every lecture: `make test`, not `make check`

LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
ANSWERS = ROOT / "instructors" / "answers"
EXERCISE = re.compile(r"^\*\*(\d+)\. ", re.M)


def answer_lines():
    """Lines of the instructors' answers long enough to be theirs alone."""
    return {l.strip() for p in ANSWERS.glob("*.md") for l in p.read_text(encoding="utf-8").splitlines()
            if len(l.strip()) >= 40 and not l.startswith("#")}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "build_site.py"), "--out", str(out)],
                          capture_output=True, text=True, timeout=1500, env={**os.environ, "MPLBACKEND": "Agg"})   # the
    # build must not pass a test runner's non-interactive backend on to the kernels
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def test_every_lecture_and_assignment_has_a_page_linked_from_the_index(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    pages = [f"lectures/{p.stem}.html" for p in LECTURES] + [f"assignments/{a}.html" for a in ASSIGNMENTS]
    for page in pages:
        assert (site / page).is_file() and f'href="{page}"' in index, page
    assert (site / "mathjax" / "MathJax.js").is_file()             # math is typeset offline too
    lecture = (site / "lectures" / f"{LECTURES[0].stem}.html").read_text(encoding="utf-8")
    assert "../mathjax/MathJax.js" in lecture
    for page in pages:                                             # nothing fetched from elsewhere
        text = (site / page).read_text(encoding="utf-8")
        assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', text), page


def test_the_lectures_are_executed_with_their_figures(site):
    for p in LECTURES:
        text = (site / "lectures" / f"{p.stem}.html").read_text(encoding="utf-8")
        shows = sum(c.source.count("plt.show()") for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code")
        assert text.count("data:image/png;base64") >= shows > 0, p.name      # every figure is on the page
        assert "jp-OutputArea-output" in text, p.name
        assert "Traceback" not in text, p.name


def test_nothing_hidden_is_on_the_site(site):
    texts = {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
             for p in site.rglob("*.html") if "mathjax" not in p.parts}
    solution, reference, answers = solution_lines(), reference_lines(), answer_lines()
    assert len(solution) > 100 and len(reference) > 50 and len(answers) > 20     # something to find
    escaped = lambda line: line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    for name, text in texts.items():
        assert not [m for m in MARKERS if m in text], name
        assert not [l for l in solution if l in text or escaped(l) in text], name
        assert not [l for l in reference if l in text or escaped(l) in text], name
        assert not [l for l in answers if l in text or escaped(l) in text], name


@pytest.mark.parametrize("lecture", LECTURES, ids=lambda p: p.name)
def test_each_lecture_ends_with_exercises_answered_for_instructors(lecture):
    nb = nbformat.read(lecture, as_version=4)
    start = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "## Exercises" in c.source)
    numbers = [int(m) for c in nb.cells[start:] if c.cell_type == "markdown" for m in EXERCISE.findall(c.source)]
    assert 4 <= len(numbers) <= 6 and numbers == list(range(1, len(numbers) + 1)), numbers
    answers = (ANSWERS / f"{lecture.stem}.md").read_text(encoding="utf-8")
    assert "instructors only" in answers.splitlines()[0].lower()
    assert [int(n) for n in re.findall(r"^## (\d+)\. ", answers, re.M)] == numbers
