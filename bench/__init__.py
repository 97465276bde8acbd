"""Benchmarks and load tests: run fully by `make bench`, on a tiny budget by `make test`."""
