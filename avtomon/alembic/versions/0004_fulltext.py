"""full text from article pages; feed tags

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("page_status", sa.String(length=10), nullable=True))
    op.add_column("articles", sa.Column("page_error", sa.Text(), nullable=True))
    op.add_column("feeds", sa.Column("tags", sa.Text(), nullable=True))
    # the poll's page pass and the extraction backlog both look for these
    op.create_index("ix_articles_page_status", "articles", ["page_status"])


def downgrade() -> None:
    op.drop_index("ix_articles_page_status", "articles")
    op.drop_column("feeds", "tags")
    op.drop_column("articles", "page_error")
    op.drop_column("articles", "page_status")
