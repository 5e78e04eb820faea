"""categories named in passing: mentions.passing, and views that keep them apart

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _agg(dialect: str, expr: str) -> str:
    """Comma-joined distinct values: string_agg on PostgreSQL, group_concat on SQLite."""
    if dialect == "postgresql":
        return f"string_agg(DISTINCT {expr}, ', ')"
    return f"group_concat(DISTINCT {expr})"


def _views(dialect: str, passing: bool) -> None:
    # the article's categories are the ones it is about; the ones named in passing get their own column
    salient = " AND NOT m.passing" if passing else ""
    op.execute("DROP VIEW IF EXISTS v_articles")
    op.execute("DROP VIEW IF EXISTS v_mentions")
    in_passing = (f""",
               (SELECT {_agg(dialect, "e.key")} FROM mentions m JOIN entities e ON e.id = m.entity_id
                 WHERE m.article_id = a.id AND e.kind = 'category' AND m.passing) AS categories_in_passing"""
                  if passing else "")
    op.execute(f"""
        CREATE VIEW v_articles AS
        SELECT a.id AS article_id, a.published_at, a.feed AS source, a.title, a.url, a.relevant, a.relevance,
               a.extract_status, a.text_source,
               (SELECT {_agg(dialect, "e.name")} FROM mentions m JOIN entities e ON e.id = m.entity_id
                 WHERE m.article_id = a.id AND e.kind = 'company') AS companies,
               (SELECT {_agg(dialect, "e.key")} FROM mentions m JOIN entities e ON e.id = m.entity_id
                 WHERE m.article_id = a.id AND e.kind = 'region') AS regions,
               (SELECT {_agg(dialect, "e.key")} FROM mentions m JOIN entities e ON e.id = m.entity_id
                 WHERE m.article_id = a.id AND e.kind = 'category'{salient}) AS categories{in_passing},
               (SELECT {_agg(dialect, "ev.type")} FROM events ev WHERE ev.article_id = a.id) AS event_types
        FROM articles a
    """)
    op.execute(f"""
        CREATE VIEW v_mentions AS
        SELECT m.id AS mention_id, a.id AS article_id, a.published_at, a.feed AS source, a.title, a.url,
               a.relevant, e.kind, e.key, e.name, m.text AS mention_text, m.start_char, m.end_char
               {", m.passing" if passing else ""}
        FROM mentions m
        JOIN entities e ON e.id = m.entity_id
        JOIN articles a ON a.id = m.article_id
    """)


def upgrade() -> None:
    # ADD COLUMN with a constant default is a plain ALTER on both SQLite and PostgreSQL
    op.add_column("mentions", sa.Column("passing", sa.Boolean(), nullable=False, server_default=sa.false()))
    _views(op.get_bind().dialect.name, passing=True)


def downgrade() -> None:
    # the views read the column: drop them before SQLite's batch mode copies the table
    op.execute("DROP VIEW IF EXISTS v_articles")
    op.execute("DROP VIEW IF EXISTS v_mentions")
    with op.batch_alter_table("mentions") as batch:
        batch.drop_column("passing")
    _views(op.get_bind().dialect.name, passing=False)
