"""emukernel micro-benchmarks: `python -m benchmarks` (see benchmarks/runner.py and benchmarks/RESULTS.md)."""

from .runner import BENCHES, Bench, Target, main, measure, run_all

__all__ = ["BENCHES", "Bench", "Target", "main", "measure", "run_all"]
