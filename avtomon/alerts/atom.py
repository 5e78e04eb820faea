"""An Atom feed per watch: its latest alerts, as a file beside watches.yaml and at /watch/NAME.atom
of `avtomon serve`. Built with ElementTree, so every title and link is escaped."""

from __future__ import annotations

import json
import os
import tempfile
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from avtomon.alerts.channels import text_of
from avtomon.alerts.config import slug
from avtomon.models import Alert

ATOM = "http://www.w3.org/2005/Atom"


def _stamp(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def atom_xml(session: Session, watch: str, entries: int = 50, self_url: str | None = None) -> bytes:
    """The watch's latest `entries` alerts as an Atom document."""
    alerts = session.scalars(select(Alert).where(Alert.watch == watch)
                             .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(entries)).all()
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = f"avtomon: {watch}"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"urn:avtomon:watch:{slug(watch)}"
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _stamp(alerts[0].created_at if alerts else datetime(2000, 1, 1))
    if self_url:
        ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    for alert in alerts:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = alert.title
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:avtomon:alert:{alert.id}"
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _stamp(alert.created_at)
        if alert.url:
            ET.SubElement(entry, f"{{{ATOM}}}link", href=alert.url)
        ET.SubElement(entry, f"{{{ATOM}}}category", term=alert.kind)
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = text_of(json.loads(alert.payload))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def write_atom(session: Session, watch: str, path: Path, entries: int = 50) -> None:
    """Write the feed file whole or not at all (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(atom_xml(session, watch, entries))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
