"""Report logic with no web framework: schedules, content, rendering and mail.

``commands`` calls it (the report use cases); it never imports Flask, Dash or the
pages (an import-linter contract checks it).
"""
