"""nbgrader configuration for the course (read by every nbgrader command run from this folder)."""
c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "dl-techniques-4"
c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "solutions"      # what authors write (full solutions, hidden tests)
c.CourseDirectory.release_directory = "assignments"   # what students get (generated, committed)
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Stubs students see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading: a cell that runs longer than this is stopped (an infinite loop costs that cell only).
c.Execute.timeout = 60
# A whole notebook's time when graded (all cells, reruns included); cells not started by then score 0.
c.ResilientExecute.notebook_timeout = 600
c.Execute.interrupt_on_timeout = True
# A student who deleted a graded cell gets it back (and its tests run) instead of losing it silently.
c.OverwriteCells.add_missing_cells = True
# Grade the notebook with a plain python3 kernel, whatever the student's metadata says.
c.Execute.kernel_name = "python3"

# Feedback: nbgrader's default feedback shows the hidden tests' source (jupyter/nbgrader
# #917, #1363). Run its own ClearHiddenTests on the autograded notebook first, so students
# see each test cell's docstring and the checks' report (the outputs), never the hidden code.
# A student's HTML and JavaScript outputs, and raw HTML in their markdown, are shown as text,
# never run, in the feedback page (it is opened by students, and by staff too).
c.HTMLExporter.sanitize_html = True
c.GenerateFeedback.exporter_class = "grader.exporters.FeedbackHTMLExporter"   # templates compiled once a worker
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "grader.preprocessors.NotFinalYet",             # what the total does not include yet; lateness
    "nbgrader.preprocessors.ClearHiddenTests",
    "grader.preprocessors.ShortenTestTracebacks",   # a NameError's traceback quotes hidden code
    "grader.preprocessors.EscapeStudentMarkdown",   # second line of defence (SanitizeForStaff is the first)
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Autograde: nbgrader's default steps, two replaced and one added (grader/preprocessors.py).
# ResilientExecute: the notebook runs in a sandbox (grader/sandbox.py) as an unprivileged
# user; hidden cells only record what the student's functions return. TrustedVerdict:
# the checks judge those records in this process and set each graded cell's report and
# points (whatever the kernel printed there is discarded). A cell that kills the kernel,
# or ignores the interrupt after the timeout, costs only itself (nbgrader's own Execute gives up on the whole notebook and
# the student gets 0 for everything). LimitOutputSize: LimitOutput's 1000-line cap plus a
# cap on characters (one huge line would otherwise fill the graded notebook and feedback).
c.Autograde.autograde_preprocessors = [
    "grader.preprocessors.ResilientExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "grader.preprocessors.LimitOutputSize",
    "grader.preprocessors.TrustedVerdict",
    "grader.preprocessors.SanitizeForStaff",        # safe for formgrader and feedback pages to show
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# grades.csv: nbgrader's columns, properly quoted, with "not submitted" kept apart from 0 and the
# written answers' points still waiting for hand grading (grader/export.py).
c.ExportApp.plugin_class = "grader.export.CourseGrades"

# What a late submission costs (due dates: schedule.toml). nbgrader's choices: "none" records the
# lateness in the gradebook, grades.csv and the grading report; "zero" scores a late notebook 0.
# (nbgrader computes the penalty when it autogrades: with "zero", hand grades given later still
# show in the totals of formgrader, so regrade or check the export after hand grading.)
c.LateSubmissionPlugin.penalty_method = "none"
