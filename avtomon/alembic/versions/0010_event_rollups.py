"""events per day, entity and type (event_days), filled from the stored facts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

A company, region or category page charts its events month by month; without this table that meant
reading every one of its events with its article. Filled here one day at a time by the code that keeps
it exact afterwards (avtomon.pipeline.rollups).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# covering: an entity page reads its days' counts from the index alone
INDEX = ["entity_id", "guessed", "day", "type", "shown", "events", "events_about"]


def upgrade() -> None:
    op.create_table(
        "event_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("entity_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("type", sa.String(20), primary_key=True),
        sa.Column("shown", sa.Boolean(), primary_key=True),
        sa.Column("guessed", sa.Boolean(), primary_key=True),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("events_about", sa.Integer(), nullable=False),
    )
    op.create_index("ix_event_days_entity_day", "event_days", INDEX)
    from sqlalchemy.orm import Session

    from avtomon.pipeline.rollups import fill_event_days

    session = Session(bind=op.get_bind())
    fill_event_days(session)
    session.flush()


def downgrade() -> None:
    op.drop_index("ix_event_days_entity_day", table_name="event_days")
    op.drop_table("event_days")
