"""grades.csv: nbgrader's export with the difference between "no submission" and "scored 0".

Set in nbgrader_config.py (`c.ExportApp.plugin_class`), so `nbgrader export` in the course
folder and `python -m grader grade` write the same file. nbgrader's own CSV plugin writes 0 for
a student who submitted nothing, and does not quote its fields (a name with a comma breaks
the row). This one has the same columns, properly quoted, and:

- score, raw_score and the penalty are empty when there is no submission (`status`
  "not submitted"), and a number when there is one (a submission that could not be read or
  run is a submission scored 0: `status` "graded");
- `hand_grading_pending`: the points of written answers nobody has graded by hand yet (they
  count 0 in `score` until someone does; formgrader grades them);
- `seconds_late`: how late nbgrader found the submission against the assignment's due date.

Times (`duedate`, `timestamp`) are in UTC, as nbgrader stores them.
"""
import csv

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
           "status", "raw_score", "late_submission_penalty", "score", "max_score",
           "hand_grading_pending", "seconds_late"]


def rows(gradebook, students=(), assignments=()):
    """One dict per assignment and student, in COLUMNS."""
    for assignment in gradebook.assignments:
        if assignments and assignment.name not in assignments:
            continue
        for student in gradebook.students:
            if students and student.id not in students:
                continue
            row = dict(assignment=assignment.name, duedate=assignment.duedate or "", student_id=student.id,
                       last_name=student.last_name or "", first_name=student.first_name or "",
                       email=student.email or "", max_score=assignment.max_score)
            try:
                sub = gradebook.find_submission(assignment.name, student.id)
            except MissingEntry:
                row.update(status="not submitted", timestamp="", raw_score="", late_submission_penalty="",
                           score="", hand_grading_pending="", seconds_late="")
            else:
                pending = sum(g.max_score for nb in sub.notebooks for g in nb.grades
                              if g.cell_type == "markdown" and g.needs_manual_grade and g.manual_score is None)
                row.update(status="graded", timestamp=sub.timestamp or "", raw_score=float(sub.score),
                           late_submission_penalty=float(sub.late_submission_penalty),
                           score=max(0.0, float(sub.score - sub.late_submission_penalty)),
                           hand_grading_pending=float(pending), seconds_late=float(sub.total_seconds_late))
            yield row


class CourseGrades(ExportPlugin):
    """nbgrader export plugin: see the module docstring."""

    def export(self, gradebook):
        dest = self.to or "grades.csv"
        self.log.info("Exporting grades to %s", dest)
        with open(dest, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, COLUMNS)
            writer.writeheader()
            writer.writerows(rows(gradebook, [str(s) for s in self.student], [str(a) for a in self.assignment]))
