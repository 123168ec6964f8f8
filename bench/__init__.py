"""Benchmarks, not tests: each module defines `run(args) -> dict` and prints its figures.

`python -m bench` runs them all; `python -m bench <name>` runs one; `--list` names them.
"""
