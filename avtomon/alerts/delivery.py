"""Send the pending deliveries, each in its own short transaction, and report the channels' health.

A delivery is marked `sending` (committed) before its channel is called and `sent` after: a run
killed in between leaves it `sending`, and the next run sends it again with the same delivery id
(a receiver drops the copy by that id). A channel that is down leaves its deliveries pending with
the reason; ingest goes on and the next run tries again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from avtomon.alerts.channels import SENDERS, SendError
from avtomon.alerts.config import WatchesConfig
from avtomon.models import Alert, Delivery

log = logging.getLogger(__name__)


@dataclass
class DeliverySummary:
    sent: int = 0
    waiting: int = 0  # left pending for the next run
    errors: dict[str, str] = field(default_factory=dict)  # channel → its last error this run

    def line(self) -> str:
        text = f"{self.sent} alerts sent"
        if self.waiting:
            down = "; ".join(f"{c}: {e}" for c, e in sorted(self.errors.items()))
            text += f", {self.waiting} waiting for the next run ({down})"
        return text


def _mark(engine: Engine, delivery_id: int, **values: object) -> None:
    with Session(engine) as s, s.begin():
        s.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))


def deliver(engine: Engine, config: WatchesConfig, now: datetime) -> DeliverySummary:
    """Send every pending (or interrupted) delivery whose channel is configured, oldest first."""
    summary = DeliverySummary()
    with Session(engine) as s:
        rows = s.execute(select(Delivery.id, Delivery.channel, Alert.payload).join(Alert, Alert.id == Delivery.alert_id)
                         .where(Delivery.status.in_(("pending", "sending"))).order_by(Delivery.id)).all()
    down: set[str] = set()
    for delivery_id, name, payload in rows:
        channel = config.channels.get(name)
        if channel is None:
            summary.waiting += 1
            summary.errors[name] = "no such channel in the watches file any more"
            continue
        if name in down:  # one failure per channel and run: the rest wait without hammering it
            summary.waiting += 1
            continue
        _mark(engine, delivery_id, status="sending", attempts=Delivery.attempts + 1)
        try:
            SENDERS[channel.type](channel, json.loads(payload), delivery_id)
        except SendError as exc:
            log.warning("alert delivery %s to %s failed: %s", delivery_id, name, exc)
            _mark(engine, delivery_id, status="pending", last_error=str(exc)[:2000])
            down.add(name)
            summary.errors[name] = str(exc)
            summary.waiting += 1
            continue
        _mark(engine, delivery_id, status="sent", sent_at=now, last_error=None)
        summary.sent += 1
    return summary


def health(engine: Engine) -> list[list[object]]:
    """Per channel: sent, waiting, the most tries of a waiting one, last sent, the last error of a waiting one."""
    with Session(engine) as s:
        rows = s.execute(select(
            Delivery.channel,
            func.count().filter(Delivery.status == "sent"),
            func.count().filter(Delivery.status != "sent"),
            func.max(Delivery.attempts).filter(Delivery.status != "sent"),
            func.max(Delivery.sent_at),
        ).group_by(Delivery.channel).order_by(Delivery.channel)).all()
        errors = dict(s.execute(select(Delivery.channel, Delivery.last_error)
                                .where(Delivery.status != "sent", Delivery.last_error.is_not(None))
                                .order_by(Delivery.id)).all())
    return [[c, sent, waiting, tries or 0, last, errors.get(c, "")] for c, sent, waiting, tries, last in rows]
