"""Performance benchmarks of Pulse: large-org generator, data-source latency, ingest.

Run them as ``pulse bench generate|queries|render|ingest|report`` (:mod:`cli.bench`);
``BENCHMARKS.md`` holds the figures and the commands that produced them.
"""
