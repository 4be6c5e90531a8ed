"""Alerts: threshold, change, anomaly and forecast alerts, their states and their
delivery channels (email, Slack, signed webhooks).

:mod:`alerts.specs` (the types' JSON and their registry), :mod:`alerts.observe` (one
grouped query per alert), :mod:`alerts.engine` (the state machine and its history),
:mod:`alerts.channels` (the channel registry and payloads), :mod:`alerts.net` (HTTP
with the SSRF guard) and :mod:`alerts.delivery` (sending what an evaluation
recorded). No web framework: :mod:`commands.alerts` is the use-case layer above.
"""
