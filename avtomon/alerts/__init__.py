"""Watch-lists that notify: new stories matching a watch, spikes, digests.

`config` reads watches.yaml; `matching` raises alerts into the store (an outbox of deliveries);
`delivery` sends them through `channels` (webhook, email, Telegram); `atom` writes a feed per watch;
`digest` summarises a period. `run` does one ingest's share: raise, send, write the feeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from avtomon.alerts.config import WatchesConfig
from avtomon.alerts.delivery import DeliverySummary, deliver
from avtomon.alerts.matching import RaiseSummary, raise_alerts


@dataclass
class AlertRun:
    raised: RaiseSummary
    delivered: DeliverySummary

    def line(self) -> str:
        spikes = f" and {self.raised.spikes} spikes" if self.raised.spikes else ""
        return f"alerts: {self.raised.alerts} new stories{spikes} matched watches; {self.delivered.line()}"


def run(engine: Engine, config: WatchesConfig, now: datetime | None = None) -> AlertRun:
    """Raise the new alerts, send every pending delivery, rewrite the Atom files."""
    from avtomon.alerts.atom import write_atom

    now = now or datetime.now(UTC).replace(tzinfo=None)
    raised = raise_alerts(engine, config, now)
    delivered = deliver(engine, config, now)
    with Session(engine) as session:
        for watch in config.watches:
            path = config.atom_path(watch.name)
            if path is not None:
                write_atom(session, watch.name, path, config.settings.atom_entries)
    return AlertRun(raised, delivered)
