"""Benchmarks of phonenumbers_async (``python -m benchmarks``); never part of ``make test``."""
