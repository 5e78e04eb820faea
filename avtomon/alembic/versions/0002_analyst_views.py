"""analyst views v_articles, v_mentions, v_events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _agg(dialect: str, expr: str) -> str:
    """Comma-joined distinct values: string_agg on PostgreSQL, group_concat on SQLite."""
    if dialect == "postgresql":
        return f"string_agg(DISTINCT {expr}, ', ')"
    return f"group_concat(DISTINCT {expr})"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute(f"""
        CREATE VIEW v_articles AS
        SELECT a.id AS article_id, a.published_at, a.feed AS source, a.title, a.url, a.relevant, a.relevance,
               a.extract_status, a.text_source,
               (SELECT {_agg(dialect, "e.name")} FROM mentions m JOIN entities e ON e.id = m.entity_id
                 WHERE m.article_id = a.id AND e.kind = 'company') AS companies,
               (SELECT {_agg(dialect, "e.key")} FROM mentions m JOIN entities e ON e.id = m.entity_id
                 WHERE m.article_id = a.id AND e.kind = 'region') AS regions,
               (SELECT {_agg(dialect, "e.key")} FROM mentions m JOIN entities e ON e.id = m.entity_id
                 WHERE m.article_id = a.id AND e.kind = 'category') AS categories,
               (SELECT {_agg(dialect, "ev.type")} FROM events ev WHERE ev.article_id = a.id) AS event_types
        FROM articles a
    """)
    op.execute("""
        CREATE VIEW v_mentions AS
        SELECT m.id AS mention_id, a.id AS article_id, a.published_at, a.feed AS source, a.title, a.url,
               a.relevant, e.kind, e.key, e.name, m.text AS mention_text, m.start_char, m.end_char
        FROM mentions m
        JOIN entities e ON e.id = m.entity_id
        JOIN articles a ON a.id = m.article_id
    """)
    op.execute("""
        CREATE VIEW v_events AS
        SELECT ev.id AS event_id, a.id AS article_id, a.published_at, a.feed AS source, a.title, a.url,
               a.relevant, ev.type, c.name AS company, c.key AS company_key, r.key AS region,
               r.name AS region_name, ev.categories, ev.sentence
        FROM events ev
        JOIN articles a ON a.id = ev.article_id
        LEFT JOIN entities c ON c.id = ev.company_id
        LEFT JOIN entities r ON r.id = ev.region_id
    """)


def downgrade() -> None:
    for view in ("v_events", "v_mentions", "v_articles"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
