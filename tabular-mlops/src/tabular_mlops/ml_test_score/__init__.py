"""The ML Test Score (Breck et al., 2017), computed from the test suite's own outcomes.

``rubric`` lists the 28 items; ``plugin`` records, during a pytest run, which items each test
covers and how it ended; ``results`` keeps those records and refuses stale ones; ``manual``
reads the items done by hand; ``scoring`` applies the rubric's points; ``report`` prints them;
``applicability`` lets a test say that the data cannot raise its case.
"""
