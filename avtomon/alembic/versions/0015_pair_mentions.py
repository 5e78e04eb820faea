"""pair rollups also keep each side's mentions and the first and last publication

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

A ranking of one kind filtered by one entity of a paired kind (`query regions --company КАМАЗ --since
1y`, `query companies --region RU-TA`) shows per row its articles, mentions and first/last publication.
pair_days and pair_months held only the articles, so those rankings read every mention of the chosen
articles (1.2M rows for a year of КАМАЗ at 1M articles: 2.3 s SQLite, 3.4 s PostgreSQL). The pair
rows now hold per side the mentions in the articles naming both (all, and about: not in passing), and
the first and last publication of those articles (all, and about both). The tables are recounted here
from the mentions, one month of days at a time (a few minutes once, on a store of a million articles).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ["articles", "articles_about"]
MENTIONS = ["left_mentions", "left_mentions_about", "right_mentions", "right_mentions_about"]


def _pair(unit: str) -> None:
    """pair_days or pair_months, empty (the indexes of migrations 0009 and 0014 follow)."""
    op.create_table(
        f"pair_{unit}s",
        sa.Column(unit, sa.Date(), primary_key=True),
        sa.Column("left_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("right_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("shown", sa.Boolean(), primary_key=True),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS + MENTIONS],
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("first_about_at", sa.DateTime()),
        sa.Column("last_about_at", sa.DateTime()),
    )


def upgrade() -> None:
    op.drop_table("pair_days")
    op.drop_table("pair_months")
    _pair("day")
    _pair("month")
    op.create_index("ix_pair_days_left_day", "pair_days", ["left_id", "day"])
    op.create_index("ix_pair_days_right_day", "pair_days", ["right_id", "day"])
    op.create_index("ix_pair_months_left", "pair_months", ["left_id", "shown", "month", "right_id", *COUNTS])
    op.create_index("ix_pair_months_right", "pair_months", ["right_id", "shown", "month", "left_id", *COUNTS])
    from sqlalchemy.orm import Session

    from avtomon.pipeline.rollups import fill_pairs

    session = Session(bind=op.get_bind())
    fill_pairs(session)
    session.flush()


def downgrade() -> None:
    for table in ("pair_days", "pair_months"):
        with op.batch_alter_table(table) as batch:  # SQLite: the table is copied without the columns
            for column in [*MENTIONS, "first_at", "last_at", "first_about_at", "last_about_at"]:
                batch.drop_column(column)
