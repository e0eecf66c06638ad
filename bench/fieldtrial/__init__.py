"""The field trial's parts (`bench/field_trial.py` runs them).

A package rather than more files beside the benchmarks because `make bench`
runs every `bench/*.py` as a benchmark: these are helpers, not benchmarks.
"""
