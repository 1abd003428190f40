"""The hidden side of the course: the reference library and the checks.

Nothing in this package reaches students. `grader.reference` is the oracle that
`grader.checks` compares student callables against.
"""
