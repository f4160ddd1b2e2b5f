"""Benchmarks against the peers named in the issues; `python -m benchmarks` runs them all."""
