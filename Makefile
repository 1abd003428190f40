# One-command set-up for students, instructors and CI.
#   make lab    set up .venv on first use, then open JupyterLab on the course
#   make test   set up .venv on first use, then run the whole test suite (what CI runs)
#   make check  the unit tests alone, for the edit-test loop (no notebook run, no class graded)
#   make bench  the full-size stacked-autoencoder benchmark (float64, float32, 3 seeds; PyTorch too if installed)
#   make site   the course as a static website in build/site/ (executed lectures, assignment statements)
#   make grade / make gradescope / make release   instructors: see README
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup lab test check site feedback bench assignments grade gradescope release clean

setup: $(STAMP)

# Rebuilt whenever the requirements or the package list change.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps -e .
	touch $(STAMP)

lab: setup
	$(VENV)/bin/jupyter lab

test: setup
	$(PY) -m pytest

check: setup
	$(PY) -m pytest tests -m "not slow" -o addopts="-ra -n auto --dist loadfile"

# Regenerate the student versions in assignments/ from solutions/ (commit the result).
assignments: setup
	$(PY) -m grader generate
	$(PY) tools/clean_notebooks.py --check assignments

# Grade a class: `make grade` grades the bundled sample class; `make grade SUBMISSIONS=dir-or-zip` a real one
# (ASSIGNMENT=a1-... for a platform's export of one assignment, JOBS=N workers, COURSE=dir).
grade: setup
	$(PY) -m grader grade $(if $(SUBMISSIONS),--submissions $(SUBMISSIONS),--sample) $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) $(if $(JOBS),--jobs $(JOBS)) $(if $(COURSE),--course $(COURSE))

# After hand grading in formgrader: feedback, grades.csv and the summary again, from the gradebook.
feedback: setup
	$(PY) -m grader feedback $(if $(COURSE),--course $(COURSE))

# Gradescope autograder zips, one per assignment, in dist/gradescope/.
gradescope: setup
	$(PY) -m grader gradescope

# The student bundle: dist/student/ and dist/student.zip (no solutions, hidden tests or grader).
release: setup
	$(PY) -m grader release

# The static site: executed lectures and assignment statements, in build/site/ (see tools/build_site.py).
site: setup
	$(PY) tools/build_site.py

bench: setup
	$(PY) benchmarks/stacked_autoencoder.py --seeds 3

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
