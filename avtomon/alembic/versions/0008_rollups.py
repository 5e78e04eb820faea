"""per-day and per-month rollups of entities and entity pairs, filled from the stored facts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

The tables are filled here, one day at a time, by the same code that keeps them exact afterwards
(avtomon.pipeline.rollups); on a store of a million articles that is a few minutes, once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _entity(unit: str) -> None:
    """entity_days or entity_months: counts per (day or month, entity, shown, guessed)."""
    op.create_table(
        f"entity_{unit}s",
        sa.Column(unit, sa.Date(), primary_key=True),
        sa.Column("entity_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("shown", sa.Boolean(), primary_key=True),
        sa.Column("guessed", sa.Boolean(), primary_key=True),
        *[sa.Column(name, sa.Integer(), nullable=False)
          for name in ("articles", "articles_about", "mentions", "mentions_about")],
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("first_about_at", sa.DateTime()),
        sa.Column("last_about_at", sa.DateTime()),
    )


def _pair(unit: str) -> None:
    """pair_days or pair_months: counts per (day or month, left entity, right entity, shown)."""
    op.create_table(
        f"pair_{unit}s",
        sa.Column(unit, sa.Date(), primary_key=True),
        sa.Column("left_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("right_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("shown", sa.Boolean(), primary_key=True),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("articles_about", sa.Integer(), nullable=False),
    )


def upgrade() -> None:
    for unit in ("day", "month"):
        _entity(unit)
        _pair(unit)
    op.create_index("ix_entity_days_entity_day", "entity_days", ["entity_id", "day"])
    from sqlalchemy.orm import Session

    from avtomon.pipeline.rollups import all_days, refresh_days

    session = Session(bind=op.get_bind())
    refresh_days(session, all_days(session))
    session.flush()


def downgrade() -> None:
    op.drop_table("pair_months")
    op.drop_table("entity_months")
    op.drop_table("pair_days")
    op.drop_index("ix_entity_days_entity_day", table_name="entity_days")
    op.drop_table("entity_days")
