"""``python -m cli``: the ``pulse`` command without its console script."""

from cli.main import pulse

pulse(prog_name="pulse")
