"""One-off edit (kept for the record): written questions move into locked cells of their own,
and every graded cell and notebook header states its points.

nbgrader replaces a solution markdown cell WHOLE with "YOUR ANSWER HERE" in the release, so
a question written inside its answer cell never reached students. Each answer cell's question
becomes a locked markdown cell (grade_id question_*) right above it; the answer cell keeps
the mark scheme. Hidden-test cells say their points, and the header says the total.
"""
import re
from pathlib import Path

import nbformat

from grader.assignments import ASSIGNMENTS

ROOT = Path(__file__).resolve().parents[1]
OLD_HEADER = re.compile(r"Each (test|graded) cell shows its points; one written answer is graded by hand\.")


def grading_line(assignment):
    pts = ASSIGNMENTS[assignment]
    auto = sum(p for g, p in pts.items() if g.startswith("test_"))
    manual = sum(p for g, p in pts.items() if g.startswith("answer_"))
    return (f"**Grading: {auto + manual} points.** {auto} come from the hidden tests (each test cell says "
            f"its points; a function that is partly right earns part of them) and {manual} from the written "
            "answer, graded by hand.")


def main():
    for assignment, pts in ASSIGNMENTS.items():
        path = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
        nb = nbformat.read(path, as_version=4)
        cells = []
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            gid = meta.get("grade_id", "")
            if cell.cell_type == "markdown" and cell is nb.cells[0]:
                cell.source, n = OLD_HEADER.subn(grading_line(assignment), cell.source)
                assert n == 1, assignment
            if gid.startswith("answer_") and "=== BEGIN MARK SCHEME ===" in cell.source:
                question, scheme = cell.source.split("=== BEGIN MARK SCHEME ===", 1)
                q = nbformat.v4.new_markdown_cell(question.strip() + "\n\n*Write your answer in the cell below.*")
                q.metadata["nbgrader"] = {"grade": False, "grade_id": "question_" + gid[len("answer_"):],
                                          "locked": True, "schema_version": 3, "solution": False, "task": False}
                q.metadata["deletable"] = False
                q.metadata["editable"] = False
                cells.append(q)
                cell.source = "=== BEGIN MARK SCHEME ===" + scheme
            if gid.startswith("test_") and cell.cell_type == "code":
                first, rest = cell.source.split("\n", 1)
                first = re.sub(r'^"""Hidden tests for (.+?)(?: \(\d+ points?\))?:',
                               lambda m: f'"""Hidden tests for {m[1]} ({pts[gid]} point{"s" if pts[gid] != 1 else ""}):',
                               first)
                cell.source = first + "\n" + rest
            cells.append(cell)
        nb.cells = cells
        nbformat.write(nb, path)


if __name__ == "__main__":
    main()
