"""The few pages Pulse serves outside Dash (sign-in, sign-out, a refused form, the
database outage): one card in the middle of the page, styled by the CSS in assets/."""

from __future__ import annotations


def card_page(title: str, body: str, *, head: str = "", card_id: str = "") -> str:
    """A whole HTML page holding ``body`` in a centred card.

    Args:
        title: the page's title, before "· Pulse".
        body: the card's HTML (it may hold Jinja placeholders; nothing here reads it).
        head: extra elements for ``<head>`` (e.g. a refresh).
        card_id: the card's element id, for tests and styles.
    """
    card = f' id="{card_id}"' if card_id else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{head}<title>{title} · Pulse</title>\n"
        '<link rel="stylesheet" href="/assets/bootstrap.min.css">\n'
        '<link rel="stylesheet" href="/assets/pulse.css">\n'
        '</head><body class="login-page">\n'
        f'<main class="login-card card shadow-sm"{card}>'
        f'<div class="card-body p-4">\n{body}\n</div></main></body></html>'
    )
