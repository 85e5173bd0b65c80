"""The project's benchmark: `make bench` (bench/run.py) and the summary's (bench/summary.py)."""
