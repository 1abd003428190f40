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
c.Execute.interrupt_on_timeout = True
# A student who deleted a graded cell gets it back (and its tests run) instead of losing it silently.
c.OverwriteCells.add_missing_cells = True
# Grade the notebook with a plain python3 kernel, whatever the student's metadata says.
c.Execute.kernel_name = "python3"

# Feedback: nbgrader's default feedback shows the hidden tests' source (jupyter/nbgrader
# #917, #1363). Run its own ClearHiddenTests on the autograded notebook first, so students
# see each test cell's docstring and the checks' report (the outputs), never the hidden code.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
