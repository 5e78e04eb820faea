"""Send one alert to one channel: a signed webhook, an email, a Telegram message.

Each sender raises SendError with a one-line reason when the channel did not take the alert; the
delivery stage keeps it pending and tries again on the next run. Every message carries the
delivery's id (`X-Avtomon-Delivery` header, the email's Message-ID) so that a receiver can drop a
copy: a run killed after the channel took an alert and before the store recorded it sends it again
on the next run (at least once, never lost).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import make_msgid
from html import escape

import httpx

from avtomon.alerts.config import Channel

SIGNATURE_HEADER = "X-Avtomon-Signature"
DELIVERY_HEADER = "X-Avtomon-Delivery"
BACKOFF = 0.5  # seconds before the second try of a webhook or Telegram call, doubled each time


class SendError(Exception):
    """The channel did not take the alert (the reason in one line)."""


def sign(secret: str, body: bytes) -> str:
    """The webhook signature header's value: sha256=<hex HMAC-SHA256 of the body with the secret>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def text_of(alert: dict) -> str:
    """The plain-text message of an alert (Telegram, the email's text part)."""
    lines = [f"[{alert['watch']}] {alert['title']}"]
    if alert.get("kind") == "story":
        lines.append(f"{alert['articles']} articles, sources: {', '.join(alert['sources'])}")
        if alert["companies"]:
            lines.append("Companies: " + ", ".join(alert["companies"]))
        events = [f"{e['type']}" + (f" ({e['company']})" if e.get("company") else "") for e in alert["events"]]
        if events:
            lines.append("Events: " + ", ".join(events))
    if alert.get("url"):
        lines.append(alert["url"])
    return "\n".join(lines)


def html_of(alert: dict) -> str:
    """The HTML part of an alert's email: every value escaped."""
    link = f'<p><a href="{escape(alert["url"])}">{escape(alert["url"])}</a></p>' if alert.get("url") else ""
    rest = "".join(f"<p>{escape(line)}</p>" for line in text_of(alert).splitlines()[1:] if line != alert.get("url"))
    return (f"<html><body><h3>{escape(alert['watch'])}: {escape(alert['title'])}</h3>{rest}{link}"
            f"</body></html>")


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float, retries: int) -> httpx.Response:
    """POST with `retries` tries and a doubling pause between them; SendError with the last reason."""
    reason = ""
    for attempt in range(retries):
        if attempt:
            time.sleep(BACKOFF * 2 ** (attempt - 1))
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}"
            continue
        if response.is_success:
            return response
        reason = f"HTTP {response.status_code}"
        if response.status_code < 500 and response.status_code not in (408, 429):
            break  # the receiver refuses this message: trying again now will not help
    raise SendError(f"{url}: {reason} after {attempt + 1} tries")


def send_webhook(channel: Channel, alert: dict, delivery_id: int) -> None:
    body = json.dumps(alert, ensure_ascii=False, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(channel.secret or "", body),
               DELIVERY_HEADER: str(delivery_id), "User-Agent": "avtomon-alerts"}
    _post(channel.options["url"], body, headers, channel.options["timeout"], channel.options["retries"])


def send_telegram(channel: Channel, alert: dict, delivery_id: int) -> None:
    opts = channel.options
    body = json.dumps({"chat_id": opts["chat_id"], "text": text_of(alert)[:4000],
                       "disable_web_page_preview": True}, ensure_ascii=False).encode()
    url = f"{opts['api']}/bot{channel.secret}/sendMessage"
    try:
        response = _post(url, body, {"Content-Type": "application/json", DELIVERY_HEADER: str(delivery_id)},
                         opts["timeout"], opts["retries"])
    except SendError as exc:  # the URL holds the bot token: never in a message or a log
        raise SendError(str(exc).replace(channel.secret or "\0", "<token>")) from None
    if not response.json().get("ok", False):
        raise SendError(f"Telegram refused the message: {response.text[:200]}")


def send_email(channel: Channel, alert: dict, delivery_id: int) -> None:
    """An alert by email: its text and HTML parts, and a Message-ID that stays the same when a delivery is
    sent again after an interrupted run (a mail system can drop the copy)."""
    digest = hashlib.sha256(json.dumps(alert, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    send_mail(channel, f"[avtomon] {alert['watch']}: {alert['title']}", text_of(alert), html_of(alert),
              f"<delivery-{delivery_id}.{digest}@avtomon>")


def send_mail(channel: Channel, subject: str, text: str, html: str, message_id: str | None = None) -> None:
    """A mail with a text and an HTML part, over SMTP with STARTTLS (or SSL) and login when set."""
    opts = channel.options
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = opts["sender"]
    msg["To"] = ", ".join(opts["to"])
    msg["Message-ID"] = message_id or make_msgid(domain="avtomon")
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    context = ssl.create_default_context(cafile=opts.get("ca_file"))
    try:
        if opts.get("ssl"):
            server: smtplib.SMTP = smtplib.SMTP_SSL(opts["host"], opts["port"], timeout=opts["timeout"],
                                                    context=context)
        else:
            server = smtplib.SMTP(opts["host"], opts["port"], timeout=opts["timeout"])
        with server:
            if opts.get("starttls", True) and not opts.get("ssl"):
                server.starttls(context=context)
            if opts.get("username") and channel.secret is not None:
                server.login(opts["username"], channel.secret)
            server.send_message(msg)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise SendError(f"SMTP {opts['host']}:{opts['port']}: {type(exc).__name__}: {exc}") from None


SENDERS = {"webhook": send_webhook, "telegram": send_telegram, "email": send_email}
