"""Benchmarks, demo data and maintenance helpers (the `certledger` command is in ``certledger``)."""
