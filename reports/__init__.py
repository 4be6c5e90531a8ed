"""Report logic with no web framework: what a report holds (:mod:`reports.content`),
how it is gathered from the widgets' queries (:mod:`reports.collect`), its formats
(PDF, Excel, CSV) behind one registry (:mod:`reports.render`), schedules
(:mod:`reports.schedules`) and mail (:mod:`reports.mail`).

``commands`` calls it (:mod:`commands.report_files`, :mod:`commands.report_schedules`);
it never imports Flask, Dash or the pages (an import-linter contract checks it).
"""
