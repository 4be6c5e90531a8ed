"""Dashboard reports as files: what a report holds (:mod:`reports.content`), how it
is gathered from the widgets' queries (:mod:`reports.collect`), and its formats (PDF,
Excel, CSV) behind one registry (:mod:`reports.render`).

Pure report logic: no Flask, no Dash callbacks; the use cases that call it are in
:mod:`commands.report_files`.
"""
