"""Report emails: the message, and the two ways it leaves Pulse.

:func:`build_message` makes one ``multipart/mixed`` message: a
``multipart/alternative`` body (plain text, and a short HTML summary with the headline
KPIs) and the report file attached. :func:`send_smtp` hands it to the server of
``SMTP_URL``:

* ``smtp://user:pass@host:587?starttls=1``: plain SMTP, upgraded with STARTTLS
  (without ``starttls=1`` the session stays unencrypted: only for a relay on
  loopback or a trusted network);
* ``smtps://user:pass@host:465``: TLS from the first byte.

User and password are optional (percent-encode special characters). Without
``SMTP_URL`` :func:`write_outbox` writes the message as an ``.eml`` file instead, which
any mail client opens.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from reports.render import RenderedReport


class MailError(RuntimeError):
    """The message could not be handed over; the message names the server (never
    the password) and the reason."""


@dataclass(frozen=True)
class Headline:
    """One headline figure of a report summary: ``Revenue  $12,345  +4.2%``."""

    label: str
    value: str
    change: str | None = None


def address_problem(address: str, allowed_domains: list[str]) -> str | None:
    """Why ``address`` may not receive an org's reports, or ``None``.

    Args:
        address: a bare address (``name@example.com``; no display name).
        allowed_domains: the org's allowed recipient domains; an address matches its
            domain exactly or a subdomain of it (``eu.acme.example`` under
            ``acme.example``). Empty: no address is allowed.
    """
    name, parsed = parseaddr(address)
    local, _, domain = address.rpartition("@")
    if (
        name
        or parsed != address
        or not local
        or "." not in domain
        or any(c.isspace() for c in address)
        or address.count("@") != 1
    ):
        return f"{address!r} is not an email address"
    domain = domain.lower().rstrip(".")
    allowed = [d.lower().lstrip("@").rstrip(".") for d in allowed_domains]
    if not any(domain == d or domain.endswith("." + d) for d in allowed):
        where = ", ".join(allowed) if allowed else "none set for this org"
        return f"{address}: the domain {domain} is not allowed (allowed: {where})"
    return None


def build_message(
    *,
    sender: str,
    recipients: list[str],
    subject: str,
    intro: str,
    headlines: list[Headline],
    report: RenderedReport,
    message_id: str,
) -> EmailMessage:
    """The email of one report delivery.

    Args:
        sender: the From header.
        recipients: the To addresses.
        subject: the Subject header.
        intro: one sentence above the figures (dashboard and period).
        headlines: the KPIs the summary shows (may be empty).
        report: the attached file.
        message_id: a Message-ID unique to the delivery (so a mail system that sees
            one delivery twice can tell).
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    lines = [intro, ""]
    for item in headlines:
        change = f" ({item.change})" if item.change else ""
        lines.append(f"{item.label}: {item.value}{change}")
    lines += ["", f"The full report is attached: {report.filename}"]
    message.set_content("\n".join(lines) + "\n")
    message.add_alternative(_summary_html(intro, headlines, report), subtype="html")
    maintype, _, subtype = report.mimetype.partition("/")
    message.add_attachment(
        report.data,
        maintype=maintype,
        subtype=subtype or "octet-stream",
        filename=report.filename,
    )
    return message


def _summary_html(intro: str, headlines: list[Headline], report: RenderedReport) -> str:
    rows = "".join(
        "<tr>"
        f'<td style="padding:4px 16px 4px 0;color:#555">{html.escape(h.label)}</td>'
        f'<td style="padding:4px 16px 4px 0;font-weight:600">{html.escape(h.value)}'
        "</td>"
        f'<td style="padding:4px 0;color:#555">{html.escape(h.change or "")}</td>'
        "</tr>"
        for h in headlines
    )
    table = f'<table style="border-collapse:collapse">{rows}</table>' if rows else ""
    return (
        '<!doctype html><html><body style="font-family:Arial,sans-serif;'
        'font-size:14px;color:#222">'
        f"<p>{html.escape(intro)}</p>{table}"
        f"<p>The full report is attached: {html.escape(report.filename)}</p>"
        "</body></html>"
    )


def send_smtp(message: EmailMessage, smtp_url: str, timeout: float) -> None:
    """Send ``message`` to its To addresses through the server of ``smtp_url``.

    Raises:
        MailError: the server could not be reached, refused the login or the
            message, or TLS failed; names ``host:port``.
    """
    parts = urlsplit(smtp_url)
    secure = parts.scheme == "smtps"
    port = parts.port or (465 if secure else 25)
    where = f"{parts.scheme}://{parts.hostname}:{port}"
    starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
    recipients = [address for _, address in getaddresses([message["To"]])]
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if secure:
            client = smtplib.SMTP_SSL(
                parts.hostname or "", port, timeout=timeout, context=context
            )
        else:
            client = smtplib.SMTP(parts.hostname or "", port, timeout=timeout)
        with client:
            if starttls:
                client.starttls(context=context)
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            refused = client.send_message(message, to_addrs=recipients)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"SMTP {where}: login refused ({exc.smtp_code})") from None
    except smtplib.SMTPException as exc:
        raise MailError(f"SMTP {where}: {_reason(exc)}") from None
    except (OSError, ssl.SSLError) as exc:
        raise MailError(f"SMTP {where}: cannot connect ({_reason(exc)})") from None
    if refused:
        raise MailError(
            f"SMTP {where}: refused recipient(s) {', '.join(sorted(refused))}"
        )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def write_outbox(message: EmailMessage, directory: Path, name: str) -> Path:
    """Write ``message`` as ``<directory>/<name>.eml`` (the folder is created) and
    return the file's path. Written to a temporary name first, so a reader never sees
    half a message."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.eml"
    partial = path.with_suffix(".eml.partial")
    partial.write_bytes(bytes(message))
    partial.replace(path)
    return path


def build_notification_message(
    *,
    sender: str,
    recipients: list[str],
    subject: str,
    text: str,
    html_body: str,
    message_id: str,
) -> EmailMessage:
    """A short notification email without an attachment (an alert firing or
    resolving): plain text and HTML alternatives.

    Args:
        sender: the From header.
        recipients: the To addresses.
        subject: the Subject header.
        text: the plain-text body.
        html_body: the HTML body (the caller escapes what it inserts).
        message_id: a Message-ID unique to the notification.
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message.set_content(text if text.endswith("\n") else text + "\n")
    message.add_alternative(html_body, subtype="html")
    return message
