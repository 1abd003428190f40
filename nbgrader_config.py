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
# Grade the notebook with a plain python3 kernel, whatever the student's metadata says.
c.Execute.kernel_name = "python3"
