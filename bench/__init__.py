"""avtomon benchmarks: `make bench` (python -m bench). Every figure is measured beside its baseline
in the same run, on the same machine, and printed with its target."""
