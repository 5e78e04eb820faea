"""stories per entity and day (story_days, story_months, story_links), counted from the stored facts

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

`query companies --count stories --since 1y` counted the distinct stories of every mention of the
period (4 s at 1M articles). These tables let it read a year of rollups instead: per entity, the
stories by the day of their first article naming it, and per later day of such an article the day of
the one before (avtomon.pipeline.story_rollups explains the sum). Filled here by the code that keeps
them exact afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _table(name: str, unit: str, *extra: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column(unit, sa.Date(), primary_key=True),
        sa.Column("entity_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("every", sa.Boolean(), primary_key=True),
        sa.Column("passing", sa.Boolean(), primary_key=True),
        *extra,
        sa.Column("stories", sa.Integer(), nullable=False),
    )


def upgrade() -> None:
    _table("story_days", "day")
    _table("story_months", "month")
    _table("story_links", "day", sa.Column("back", sa.Date(), primary_key=True),
           sa.Column("long", sa.Boolean(), nullable=False))
    op.create_index("ix_story_links_back", "story_links", ["long", "back"])
    from sqlalchemy.orm import Session

    from avtomon.pipeline.story_rollups import recount

    session = Session(bind=op.get_bind())
    recount(session)
    session.flush()


def downgrade() -> None:
    op.drop_index("ix_story_links_back", table_name="story_links")
    for name in ("story_links", "story_months", "story_days"):
        op.drop_table(name)
