"""one entity's pairs per month are read from an index alone

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

An entity page lists the companies, regions and categories named with one entity from `pair_months`:
every month of every partner of that entity (a category named with 3 000 companies: 144 000 rows at
1M articles). The indexes by left and by right entity now hold what that sum reads (shown, month, the
partner and both counts), so the rows are read from the index in order instead of one table lookup
each: 69 ms → 17 ms on SQLite. They replace the indexes on (left_id, month) and (right_id, month),
whose queries they serve as well.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ["articles", "articles_about"]


def upgrade() -> None:
    op.create_index("ix_pair_months_left", "pair_months", ["left_id", "shown", "month", "right_id", *COUNTS])
    op.create_index("ix_pair_months_right", "pair_months", ["right_id", "shown", "month", "left_id", *COUNTS])
    op.drop_index("ix_pair_months_left_month", table_name="pair_months")
    op.drop_index("ix_pair_months_right_month", table_name="pair_months")


def downgrade() -> None:
    op.create_index("ix_pair_months_left_month", "pair_months", ["left_id", "month"])
    op.create_index("ix_pair_months_right_month", "pair_months", ["right_id", "month"])
    op.drop_index("ix_pair_months_left", table_name="pair_months")
    op.drop_index("ix_pair_months_right", table_name="pair_months")
