"""indexes the web view's entity pages need: rollups and events looked up by entity

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

The rollup tables' keys start with the day or month (what a ranking of a period reads); a company,
region or category page reads one entity's rows over all time, which without these meant every row.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    # an entity page's total: its months (overview.articles_about, filters._fewer_by_entity)
    ("ix_entity_months_entity_month", "entity_months", ["entity_id", "month"]),
    # the regions and categories named with a company, the companies of a region…: one entity's pairs
    ("ix_pair_months_left_month", "pair_months", ["left_id", "month"]),
    ("ix_pair_months_right_month", "pair_months", ["right_id", "month"]),
    ("ix_pair_days_left_day", "pair_days", ["left_id", "day"]),
    ("ix_pair_days_right_day", "pair_days", ["right_id", "day"]),
    # a region's events (query events --region, the region page's timeline and chart)
    ("ix_events_region_id", "events", ["region_id"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
