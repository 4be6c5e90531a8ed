"""The ``pulse`` command line: one console script for every operator task.

``pulse`` (:mod:`cli.main`) is a click group; each module here adds the subcommands of
one job (:mod:`cli.db`: migrate and pgsetup, :mod:`cli.apikeys`, :mod:`cli.ingest`,
:mod:`cli.scheduler`, :mod:`cli.bench`, :mod:`cli.devdata`: seed, bootstrap and the
benchmark generator). The commands parse options, call the library functions of the
layers below and print. The settings are read once, by
:class:`cli._context.PulseContext`, and a settings error is reported in one place, by
the ``pulse`` group.
"""
