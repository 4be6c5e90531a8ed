"""The use cases: every change a user or a job makes in Pulse, one function each.

A command takes a :class:`~commands.context.CommandContext` (the database and the
query cache: the web app's ``Runtime`` and the scheduler's ``JobContext`` both are one)
and, for a person or an API key, the :class:`~accounts.permissions.Caller`. It
authorizes the caller (:mod:`accounts.permissions`), validates its input, writes in one
org-scoped transaction, audits, and makes the org's cached figures stale when they
changed. API routes, callbacks, the CLI and the scheduler all call the same function,
and none of them holds SQL or a business rule; refusals are the exceptions of
:mod:`commands.errors`.

* :mod:`~commands.dashboards`: create (from a document or a template), update, delete,
  open (audited view), and the reads the pages and the API make;
* :mod:`~commands.campaigns`: pause/resume and budgets (API, table cells, rules);
* :mod:`~commands.recommendations`, :mod:`~commands.anomalies`: a person's decisions;
  :mod:`~commands.list_cards` runs them from a list card's buttons;
* :mod:`~commands.exports`: a table's Excel and CSV exports;
* :mod:`~commands.analytics`, :mod:`~commands.automation`: the runs the scheduler
  makes (and an editor's "run now");
* :mod:`~commands.ingest`: a batch of facts sent to the API;
* :mod:`~commands.accounts`: signing in;
* :mod:`~commands.access`: reads of org data through the API, audited;
* :mod:`~commands.audit_log`: the audit log as admins page through it;
* :mod:`~commands.users`: listing users and deleting one (GDPR erasure);
* :mod:`~commands.retention`: the org's retention settings and the daily purge;
* :mod:`~commands.visibility`: the widget a caller names, checked.
"""
