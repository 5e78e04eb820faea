"""search by lemmas (FTS5 on SQLite, tsvector + GIN on PostgreSQL); v_articles shows guessed dates

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

The index is filled by extraction and by `index_backlog` (ingest and extract run it), not here: a
migration must stay quick on a store of a million articles. Until an article is indexed, searches
find it by a substring match.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _agg(dialect: str, expr: str) -> str:
    if dialect == "postgresql":
        return f"string_agg(DISTINCT {expr}, ', ')"
    return f"group_concat(DISTINCT {expr})"


def _v_articles(dialect: str, guessed: bool) -> None:
    op.execute("DROP VIEW IF EXISTS v_articles")
    op.execute(f"""
        CREATE VIEW v_articles AS
        SELECT a.id AS article_id, a.published_at,{" a.published_guessed," if guessed else ""} a.feed AS source,
               a.title, a.url, a.relevant, a.relevance, a.extract_status, a.text_source,
               (SELECT {_agg(dialect, "e.name")} FROM mentions m JOIN entities e ON e.id = m.entity_id
                 WHERE m.article_id = a.id AND e.kind = 'company') AS companies,
               (SELECT {_agg(dialect, "e.key")} FROM mentions m JOIN entities e ON e.id = m.entity_id
                 WHERE m.article_id = a.id AND e.kind = 'region') AS regions,
               (SELECT {_agg(dialect, "e.key")} FROM mentions m JOIN entities e ON e.id = m.entity_id
                 WHERE m.article_id = a.id AND e.kind = 'category' AND NOT m.passing) AS categories,
               (SELECT {_agg(dialect, "e.key")} FROM mentions m JOIN entities e ON e.id = m.entity_id
                 WHERE m.article_id = a.id AND e.kind = 'category' AND m.passing) AS categories_in_passing,
               (SELECT {_agg(dialect, "ev.type")} FROM events ev WHERE ev.article_id = a.id) AS event_types
        FROM articles a
    """)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE TABLE article_search (article_id INTEGER PRIMARY KEY REFERENCES articles (id) "
                   "ON DELETE CASCADE, lemmas TSVECTOR NOT NULL)")
        op.execute("CREATE INDEX ix_article_search_lemmas ON article_search USING gin (lemmas)")
    else:
        # rowid = articles.id; a virtual table has no foreign keys, so a trigger follows deletions
        op.execute("CREATE VIRTUAL TABLE article_search USING fts5(lemmas, tokenize = 'unicode61 remove_diacritics 0')")
        op.execute("CREATE TRIGGER article_search_delete AFTER DELETE ON articles "
                   "BEGIN DELETE FROM article_search WHERE rowid = old.id; END")
    _v_articles(dialect, guessed=True)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect != "postgresql":
        op.execute("DROP TRIGGER IF EXISTS article_search_delete")
    op.execute("DROP TABLE IF EXISTS article_search")
    _v_articles(dialect, guessed=False)
