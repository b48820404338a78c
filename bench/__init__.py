"""Benchmarks (`make bench`): each module exposes run(results, workdir); numbers go to bench/results.json."""
