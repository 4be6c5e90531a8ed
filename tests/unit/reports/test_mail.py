"""Report emails: recipient checks naming the address, the message's parts, and the
SMTP_URL setting."""

from __future__ import annotations

import pytest

from core.settings import ConfigurationError, load_settings, smtp_url_problem
from reports.mail import Headline, address_problem, build_message
from reports.render import RenderedReport
from tests.conftest import TEST_SECRET

ALLOWED = ["acme.example"]


@pytest.mark.parametrize(
    "address", ["cfo@acme.example", "CFO@ACME.example", "a.b+c@eu.acme.example"]
)
def test_addresses_within_the_allowed_domains_pass(address):
    assert address_problem(address, ALLOWED) is None


@pytest.mark.parametrize(
    ("address", "named"),
    [
        ("boss@gmail.com", "boss@gmail.com: the domain gmail.com is not allowed"),
        ("x@acme.example.evil.com", "the domain acme.example.evil.com"),
        ("x@notacme.example", "the domain notacme.example"),
        ("no-at-sign", "'no-at-sign' is not an email address"),
        ("two@@acme.example", "is not an email address"),
        ("Name <cfo@acme.example>", "is not an email address"),
        ("sp ace@acme.example", "is not an email address"),
    ],
)
def test_other_addresses_are_refused_naming_them(address, named):
    assert named in (address_problem(address, ALLOWED) or "")


def test_an_org_without_allowed_domains_allows_no_one():
    assert "none set for this org" in address_problem("a@acme.example", [])


def test_the_message_has_text_html_and_the_report_attached():
    report = RenderedReport("executive-2026-03-02.pdf", "application/pdf", b"%PDF-1.7")
    message = build_message(
        sender="Pulse <reports@pulse.example>",
        recipients=["cfo@acme.example", "cmo@acme.example"],
        subject="Weekly: Executive Overview, 02 Mar 2026",
        intro="Executive Overview for Acme Retail.",
        headlines=[Headline("Revenue", "$12,345", "+4.2% vs previous period")],
        report=report,
        message_id="<report.1.2.20260302T140000000000@pulse>",
    )
    assert message["To"] == "cfo@acme.example, cmo@acme.example"
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
    ]
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Revenue: $12,345 (+4.2% vs previous period)" in plain
    assert "<td" in html and "$12,345" in html
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "executive-2026-03-02.pdf"
    assert attachment.get_content() == b"%PDF-1.7"


@pytest.mark.parametrize(
    "url",
    [
        "smtp://mail.example.com:25",
        "smtp://user:p%40ss@mail.example.com:587?starttls=1",
        "smtps://user:secret@mail.example.com:465",
    ],
)
def test_smtp_urls_that_work(url):
    assert smtp_url_problem(url) is None
    assert load_settings(smtp_url=url, secret_key=TEST_SECRET).smtp_url == url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://u:hunter2@mail.example.com", "expected smtp://host:port or smtps://"),
        ("smtp://:25", "no host"),
        ("smtp://mail.example.com:99999", "the port is not a number"),
        ("smtp://mail.example.com?tls=1", "unknown option(s) tls"),
    ],
)
def test_a_bad_smtp_url_stops_start_up_naming_it(url, problem):
    with pytest.raises(ConfigurationError) as caught:
        load_settings(smtp_url=url, secret_key=TEST_SECRET)
    assert "SMTP_URL" in str(caught.value) and problem in str(caught.value)
    assert "hunter2" not in str(caught.value)
