"""kapbot's benchmarks: measured against bare Bolt, Slack's limits and its own scale.

Not tests: nothing here asserts a timing. `python -m benchmarks [--quick]` runs them all,
prints one table (figure, target, ratio, met?) and writes every figure as JSON. Each
comparison is a ratio of two things measured side by side in the same run, on the
same machine, because other work on a shared two-core machine moves absolute numbers.
"""
