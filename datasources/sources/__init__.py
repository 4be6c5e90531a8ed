"""Data sources: each module registers its sources with
``datasources.registry.register``.

Every module in this package is imported by ``registry.load_builtin_sources``.
"""
