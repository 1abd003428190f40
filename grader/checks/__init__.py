"""Checks: compare a student's callable with grader.reference and explain the verdict.

A hidden test cell is one line, e.g.::

    from grader.checks.a1 import check_softmax; check_softmax(softmax)

It prints a short report (stdout only) and leaves the points earned as the
cell's value, a plain float, which nbgrader reads as partial credit.
"""
