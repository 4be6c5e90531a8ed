"""``GET /api/v1/openapi.json``: the API described for clients and tooling.

Data-source paths and their parameters are generated from the registry, so the
document always matches the params models that validate requests.
"""

from __future__ import annotations

from flask import jsonify

from core.reference import MAX_ROW_ID
from datasources import registry
from server.api._core import MAX_PAGE, blueprint

ERROR = {"$ref": "#/components/schemas/Error"}
FILTER_PARAMETERS = [
    {
        "name": "date_from",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "first org-local day of the dashboard date range",
    },
    {
        "name": "date_to",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "last org-local day of the dashboard date range",
    },
    {
        "name": "platforms",
        "in": "query",
        "style": "form",
        "explode": False,
        "schema": {"type": "array", "items": {"type": "string"}},
    },
    {
        "name": "campaign_ids",
        "in": "query",
        "style": "form",
        "explode": False,
        "schema": {"type": "array", "items": {"type": "integer"}},
    },
    {
        "name": "countries",
        "in": "query",
        "style": "form",
        "explode": False,
        "schema": {"type": "array", "items": {"type": "string"}},
        "description": "ISO 3166 alpha-3 codes, e.g. USA,DEU",
    },
    {
        "name": "fresh",
        "in": "query",
        "schema": {"type": "boolean"},
        "description": "recompute instead of serving the cached value",
    },
]


def _responses(ok: str) -> dict:
    return {
        "200": {
            "description": ok,
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "401": {
            "description": "not authenticated",
            "content": {"application/json": {"schema": ERROR}},
        },
        "403": {
            "description": "the caller's role may not do this",
            "content": {"application/json": {"schema": ERROR}},
        },
        "404": {
            "description": "not found",
            "content": {"application/json": {"schema": ERROR}},
        },
        "422": {
            "description": "invalid parameters",
            "content": {"application/json": {"schema": ERROR}},
        },
    }


def _source_path(source: registry.DataSource) -> dict:
    schema = source.params_model.model_json_schema()
    parameters = [
        {
            "name": name,
            "in": "query",
            "required": name in schema.get("required", []),
            "schema": {k: v for k, v in prop.items() if k != "title"},
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in schema.get("properties", {}).items()
    ]
    return {
        "get": {
            "summary": source.description or source.name,
            "tags": ["data"],
            "operationId": f"data_{source.name}",
            "parameters": parameters + FILTER_PARAMETERS,
            "responses": _responses(f"the {source.name} result"),
        }
    }


# method, path, operation id, summary, tag, JSON body described (None: no body)
OPERATIONS = [
    (
        "get",
        "/api/v1/templates",
        "list_templates",
        "Global and org templates with usage counts",
        "dashboards",
        None,
    ),
    (
        "get",
        "/api/v1/dashboards",
        "list_dashboards",
        "The org's dashboards",
        "dashboards",
        None,
    ),
    (
        "post",
        "/api/v1/dashboards",
        "create_dashboard",
        "Create a dashboard: {template_id, name} clones a template; a template "
        "document is stored as written",
        "dashboards",
        "a template reference or a template document",
    ),
    (
        "get",
        "/api/v1/dashboards/{id}",
        "get_dashboard",
        "One dashboard with its visible widgets",
        "dashboards",
        None,
    ),
    (
        "put",
        "/api/v1/dashboards/{id}",
        "replace_dashboard",
        "Replace a dashboard with a template document",
        "dashboards",
        "a template document",
    ),
    (
        "delete",
        "/api/v1/dashboards/{id}",
        "delete_dashboard",
        "Delete a dashboard",
        "dashboards",
        None,
    ),
    (
        "get",
        "/api/v1/dashboards/{id}/data",
        "dashboard_data",
        "Every widget's current data under the given filters",
        "dashboards",
        None,
    ),
    (
        "get",
        "/api/v1/data",
        "list_data_sources",
        "The data sources and their parameters",
        "data",
        None,
    ),
    (
        "get",
        "/api/v1/campaigns",
        "list_campaigns",
        "The org's campaigns",
        "campaigns",
        None,
    ),
    (
        "patch",
        "/api/v1/campaigns/{id}",
        "change_campaign",
        "Pause, resume or change a campaign's budgets (audited)",
        "campaigns",
        '{"status": "paused"} or {"daily_budget": 250}',
    ),
    (
        "post",
        "/api/v1/ingest",
        "ingest",
        "Ingest hourly facts as JSON {rows: [...]} or text/csv; query: "
        "format=native|google_ads|meta_ads, unknown_campaigns=refuse|create, country",
        "ingest",
        "rows or CSV",
    ),
    (
        "post",
        "/api/v1/recommendations/{id}/apply",
        "apply_recommendation",
        "Apply a pending recommendation to its campaign",
        "analytics",
        None,
    ),
    (
        "post",
        "/api/v1/recommendations/{id}/dismiss",
        "dismiss_recommendation",
        "Dismiss a pending recommendation",
        "analytics",
        None,
    ),
    (
        "post",
        "/api/v1/anomalies/{id}/acknowledge",
        "acknowledge_anomaly",
        "Acknowledge an anomaly",
        "analytics",
        None,
    ),
    (
        "post",
        "/api/v1/anomalies/{id}/resolve",
        "resolve_anomaly",
        "Resolve an anomaly",
        "analytics",
        None,
    ),
    (
        "post",
        "/api/v1/analytics/run",
        "run_analytics",
        "Recompute forecasts, anomalies, trends and recommendations now",
        "analytics",
        None,
    ),
    (
        "get",
        "/api/v1/audit",
        "list_audit_entries",
        "The org's audit log, newest first, one page (admin sessions only; API "
        "keys get 403)",
        "admin",
        None,
    ),
    (
        "get",
        "/api/v1/users",
        "list_users",
        "The org's users (admin sessions only)",
        "admin",
        None,
    ),
    (
        "delete",
        "/api/v1/users/{id}",
        "delete_user",
        "Delete a user: anonymise their personal data (admin sessions only)",
        "admin",
        None,
    ),
    (
        "get",
        "/api/v1/org/retention",
        "get_retention",
        "The org's retention settings (admin sessions only)",
        "admin",
        None,
    ),
    (
        "patch",
        "/api/v1/org/retention",
        "set_retention",
        "Change the org's retention settings, audited (admin sessions only)",
        "admin",
        '{"raw_days": 400, "audit_days": 730, "job_runs_days": 90} (any of them)',
    ),
    (
        "get",
        "/api/v1/kiosk-tokens",
        "list_kiosk_tokens",
        "The org's kiosk display tokens, never the tokens themselves (admin "
        "sessions only)",
        "kiosk",
        None,
    ),
    (
        "post",
        "/api/v1/kiosk-tokens",
        "create_kiosk_token",
        "Create a kiosk token for one dashboard or playlist; the token and its "
        "/kiosk/<token> URL are in this answer only (admin sessions only)",
        "kiosk",
        '{"name": "Lobby", "dashboard_id": 3} or {"name": ..., "playlist_id": 1, '
        '"filters": {"date_range": "last_7_days", "platforms": ["meta"]}}',
    ),
    (
        "delete",
        "/api/v1/kiosk-tokens/{id}",
        "revoke_kiosk_token",
        "Revoke a kiosk token: its display disconnects at its next tick (admin "
        "sessions only)",
        "kiosk",
        None,
    ),
    (
        "get",
        "/api/v1/playlists",
        "list_playlists",
        "The org's kiosk playlists (admin sessions only)",
        "kiosk",
        None,
    ),
    (
        "post",
        "/api/v1/playlists",
        "create_playlist",
        "Create a kiosk playlist (admin sessions only)",
        "kiosk",
        '{"name": "Lobby", "items": [{"dashboard_id": 3, "seconds": 60}, ...]}',
    ),
    (
        "patch",
        "/api/v1/playlists/{id}",
        "update_playlist",
        "Rename a playlist or replace its items (admin sessions only)",
        "kiosk",
        '{"name": "Lobby", "items": [...]} (either)',
    ),
    (
        "delete",
        "/api/v1/playlists/{id}",
        "delete_playlist",
        "Delete a playlist and the kiosk tokens that show it (admin sessions only)",
        "kiosk",
        None,
    ),
]


REPORT_SCHEDULE_BODY = (
    '{"name": "Weekly executive", "dashboard_id": 1, "frequency": "weekly", '
    '"schedule_config": {"day_of_week": 1, "time": "09:00", "timezone": '
    '"America/New_York"}, "recipients": ["cfo@acme.example"], "format": "pdf"}'
)
OPERATIONS += [
    (
        "get",
        "/api/v1/report-schedules",
        "list_report_schedules",
        "The org's report schedules, each with its next five runs in its zone",
        "reports",
        None,
    ),
    (
        "post",
        "/api/v1/report-schedules",
        "create_report_schedule",
        "Create a report schedule (editors and admins); recipients must be within "
        "the org's allowed domains",
        "reports",
        REPORT_SCHEDULE_BODY,
    ),
    (
        "get",
        "/api/v1/report-schedules/{id}",
        "get_report_schedule",
        "One report schedule",
        "reports",
        None,
    ),
    (
        "put",
        "/api/v1/report-schedules/{id}",
        "replace_report_schedule",
        "Replace a report schedule's settings",
        "reports",
        REPORT_SCHEDULE_BODY,
    ),
    (
        "patch",
        "/api/v1/report-schedules/{id}",
        "pause_report_schedule",
        "Pause (is_active false) or resume (true) a report schedule",
        "reports",
        '{"is_active": false}',
    ),
    (
        "delete",
        "/api/v1/report-schedules/{id}",
        "delete_report_schedule",
        "Delete a report schedule and its delivery log",
        "reports",
        None,
    ),
    (
        "get",
        "/api/v1/report-schedules/{id}/preview",
        "preview_report_schedule",
        "The schedule's report file, rendered now (audited as an export)",
        "reports",
        None,
    ),
    (
        "post",
        "/api/v1/report-schedules/{id}/send",
        "send_report_schedule",
        "Send the schedule's report now; answers the delivery row",
        "reports",
        None,
    ),
    (
        "get",
        "/api/v1/report-schedules/{id}/deliveries",
        "report_schedule_deliveries",
        "The schedule's delivery log, newest first",
        "reports",
        None,
    ),
    (
        "get",
        "/api/v1/report-schedules/deliveries",
        "report_deliveries",
        "The org's delivery log, newest first",
        "reports",
        None,
    ),
    (
        "get",
        "/api/v1/org/recipient-domains",
        "get_recipient_domains",
        "The domains report recipients must be in",
        "reports",
        None,
    ),
    (
        "put",
        "/api/v1/org/recipient-domains",
        "set_recipient_domains",
        "Replace the allowed recipient domains (admins)",
        "reports",
        '{"domains": ["acme.example"]}',
    ),
]

ALERT_BODY = (
    '{"name": "CPA too high", "alert_type": "threshold", "condition": {"metric": '
    '"cpa", "operator": ">", "threshold": 50, "window": "1d", "entity_type": '
    '"campaign", "pending_evaluations": 2, "recovery_threshold": 45}, '
    '"notification_config": {"channels": ["email", "slack"], "recipients": '
    '["ops@acme.example"], "slack_webhook": "https://hooks.slack.com/services/..."}, '
    '"cooldown_minutes": 60}'
)
OPERATIONS += [
    (
        "get",
        "/api/v1/alerts",
        "list_alerts",
        "The org's alerts with their state and non-ok entities",
        "alerts",
        None,
    ),
    (
        "post",
        "/api/v1/alerts",
        "create_alert",
        "Create an alert (editors and admins); answers its webhook secret once",
        "alerts",
        ALERT_BODY,
    ),
    (
        "post",
        "/api/v1/alerts/preview",
        "preview_alert",
        "Each entity's current value under a condition; nothing is saved",
        "alerts",
        '{"alert_type": "threshold", "condition": {"metric": "cpa", "operator": ">", '
        '"threshold": 50}}',
    ),
    ("get", "/api/v1/alerts/{id}", "get_alert", "One alert", "alerts", None),
    (
        "put",
        "/api/v1/alerts/{id}",
        "replace_alert",
        "Replace an alert's settings",
        "alerts",
        ALERT_BODY,
    ),
    (
        "delete",
        "/api/v1/alerts/{id}",
        "delete_alert",
        "Delete an alert with its history",
        "alerts",
        None,
    ),
    (
        "post",
        "/api/v1/alerts/{id}/acknowledge",
        "acknowledge_alert",
        "Acknowledge a firing alert (signed-in editors and admins)",
        "alerts",
        None,
    ),
    (
        "post",
        "/api/v1/alerts/{id}/mute",
        "mute_alert",
        "Mute an alert's notifications for a number of minutes (0 unmutes)",
        "alerts",
        '{"minutes": 120}',
    ),
    (
        "get",
        "/api/v1/alerts/{id}/history",
        "alert_history",
        "The alert's state changes, newest first, with every delivery attempt",
        "alerts",
        None,
    ),
    (
        "post",
        "/api/v1/alerts/{id}/test",
        "test_alert",
        "Send a test notification on the alert's channels now",
        "alerts",
        None,
    ),
]

SNAPSHOT_BODY = (
    '{"dashboard_id": 1, "name": "Board pack", "filters": {"date_range": '
    '"last_30_days", "platforms": ["meta", "google"]}}'
)
OPERATIONS += [
    (
        "post",
        "/api/v1/snapshots",
        "take_snapshot",
        "Take a snapshot of a dashboard: every widget's data, the filters and the "
        "instant, stored encrypted (editors, admins, keys)",
        "snapshots",
        SNAPSHOT_BODY,
    ),
    (
        "get",
        "/api/v1/snapshots",
        "list_snapshots",
        "The org's snapshots, newest first",
        "snapshots",
        None,
    ),
    (
        "get",
        "/api/v1/snapshots/{id}",
        "get_snapshot",
        "A snapshot: its JSON document, or its pdf or xlsx file (audited)",
        "snapshots",
        None,
    ),
    (
        "delete",
        "/api/v1/snapshots/{id}",
        "delete_snapshot",
        "Delete a snapshot (editors, admins, keys)",
        "snapshots",
        None,
    ),
    (
        "get",
        "/api/v1/snapshots/compare",
        "compare_snapshots",
        "Two snapshots side by side: every KPI with both values and the change",
        "snapshots",
        None,
    ),
    (
        "get",
        "/api/v1/org/snapshot-retention",
        "get_snapshot_retention",
        "How many days the org keeps snapshots (null: forever; admins)",
        "snapshots",
        None,
    ),
    (
        "put",
        "/api/v1/org/snapshot-retention",
        "set_snapshot_retention",
        "Change the snapshot retention (admins)",
        "snapshots",
        '{"days": 90}',
    ),
]

# The list routes: ``{items, total, limit, offset}``, paged by ``limit``/``offset``.
PAGED_OPERATIONS = (
    "list_templates",
    "list_dashboards",
    "list_campaigns",
    "list_users",
    "list_report_schedules",
    "report_schedule_deliveries",
    "report_deliveries",
    "list_kiosk_tokens",
    "list_playlists",
    "list_alerts",
    "alert_history",
    "list_snapshots",
)
PAGE_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        "description": f"items per page (default {MAX_PAGE})",
    },
    {
        "name": "offset",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0},
        "description": "items to skip (default 0)",
    },
]


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "schema": schema, "description": description}


# Query parameters of the operations that take some, by operation id.
QUERY_PARAMETERS = {
    "list_audit_entries": [
        _query("action", {"type": "string"}, "e.g. read, view, export, update"),
        _query("entity_type", {"type": "string"}, "e.g. dashboard, data_source"),
        _query("entity_id", {"type": "string"}, "entity ids containing this text"),
        _query("user_id", {"type": "integer"}, "the person who acted"),
        _query("api_key_id", {"type": "integer"}, "the API key that acted"),
        _query(
            "date_from",
            {"type": "string", "format": "date"},
            "first org-local day (included)",
        ),
        _query(
            "date_to",
            {"type": "string", "format": "date"},
            "last org-local day (included)",
        ),
        _query("page", {"type": "integer", "minimum": 1}, "1-based page"),
        _query(
            "per_page",
            {"type": "integer", "minimum": 1, "maximum": 200},
            "entries per page (default 50)",
        ),
    ],
    "list_snapshots": [
        _query("dashboard_id", {"type": "integer"}, "one dashboard's snapshots"),
    ],
    "get_snapshot": [
        _query(
            "format",
            {"type": "string", "enum": ["json", "pdf", "xlsx", "excel"]},
            "json (default): the document; pdf or xlsx: the file",
        ),
    ],
    "compare_snapshots": [
        _query("a", {"type": "integer"}, "snapshot A (the base)"),
        _query("b", {"type": "integer"}, "snapshot B"),
    ],
}


def _operation(
    operation_id: str, summary: str, tag: str, path: str, body: str | None
) -> dict:
    operation = {
        "summary": summary,
        "tags": [tag],
        "operationId": operation_id,
        "responses": _responses(summary[0].lower() + summary[1:]),
    }
    if "{id}" in path:
        operation["parameters"] = [
            {
                "name": "id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID},
            }
        ]
    if operation_id in PAGED_OPERATIONS:
        operation["parameters"] = operation.get("parameters", []) + PAGE_PARAMETERS

    if operation_id in QUERY_PARAMETERS:
        operation["parameters"] = (
            operation.get("parameters", []) + QUERY_PARAMETERS[operation_id]
        )
    if body:
        operation["requestBody"] = {
            "description": body,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                **(
                    {"text/csv": {"schema": {"type": "string"}}}
                    if tag == "ingest"
                    else {}
                ),
            },
        }
    return operation


def build_openapi() -> dict:
    paths: dict[str, dict] = {}
    for method, path, operation_id, summary, tag, body in OPERATIONS:
        paths.setdefault(path, {})[method] = _operation(
            operation_id, summary, tag, path, body
        )
    for source in registry.all_sources():
        paths[f"/api/v1/data/{source.name}"] = _source_path(source)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pulse API",
            "version": "1.0.0",
            "description": "Marketing analytics data of the caller's org.",
        },
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": (
                        "an org API key: `pulse apikeys create --org <slug>`"
                    ),
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "details"],
                    "properties": {
                        "error": {"type": "string"},
                        "details": {"type": "array", "items": {"type": "string"}},
                    },
                }
            },
        },
    }


@blueprint.get("/openapi.json")
def openapi_document():
    return jsonify(build_openapi())
