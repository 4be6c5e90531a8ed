"""Performance benchmarks of Pulse: large-org generator, data-source latency, ingest.

Run them as modules from the repository root (``python -m bench.generate ...``); see
``bench/README.md`` and ``BENCHMARKS.md``.
"""
