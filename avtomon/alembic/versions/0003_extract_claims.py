"""extraction claims for concurrent workers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN works on SQLite too, and keeps the views on `articles` intact
    op.add_column("articles", sa.Column("claimed_by", sa.String(length=64), nullable=True))
    op.add_column("articles", sa.Column("claimed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
