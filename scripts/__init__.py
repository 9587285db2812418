"""Benchmarks, demo data, maintenance, and the `certledger` command that ties the layers together."""
