"""stories: the same news from several outlets; articles.story_id, article_signatures; story_id in v_articles, v_events

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

Articles stored before this revision have no story yet (story_id NULL): the grouping pass that runs
after extraction takes them oldest first, a bounded number per run, or all at once with
`avtomon stories --rebuild`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _agg(dialect: str, expr: str) -> str:
    if dialect == "postgresql":
        return f"string_agg(DISTINCT {expr}, ', ')"
    return f"group_concat(DISTINCT {expr})"


def _v_articles(dialect: str, story: bool) -> None:
    op.execute("DROP VIEW IF EXISTS v_articles")
    story_id = " a.story_id," if story else ""
    op.execute(f"""
        CREATE VIEW v_articles AS
        SELECT a.id AS article_id, a.published_at, a.published_guessed, a.feed AS source,
               a.title, a.url, a.relevant, a.relevance, a.extract_status, a.text_source,{story_id}
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


def _v_events(story: bool) -> None:
    op.execute("DROP VIEW IF EXISTS v_events")
    story_id = ", a.story_id" if story else ""
    op.execute(f"""
        CREATE VIEW v_events AS
        SELECT ev.id AS event_id, a.id AS article_id, a.published_at, a.feed AS source, a.title, a.url,
               a.relevant, ev.type, c.name AS company, c.key AS company_key, r.key AS region,
               r.name AS region_name, ev.categories, ev.sentence{story_id}
        FROM events ev
        JOIN articles a ON a.id = ev.article_id
        LEFT JOIN entities c ON c.id = ev.company_id
        LEFT JOIN entities r ON r.id = ev.region_id
    """)


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("lead_article_id", sa.Integer()),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("sources", sa.Integer(), nullable=False),
    )
    op.create_index("ix_stories_first_seen", "stories", ["first_seen"])
    op.create_table(
        "article_signatures",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("minhash", sa.LargeBinary(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
    )
    # a plain ALTER on both backends: SQLite adds a NULL column with a reference in place (alembic's
    # add_column would want batch mode, a copy of the whole articles table, for the constraint)
    op.execute("ALTER TABLE articles ADD COLUMN story_id INTEGER REFERENCES stories (id) ON DELETE SET NULL")
    op.create_index("ix_articles_story_id", "articles", ["story_id"])
    _v_articles(op.get_bind().dialect.name, story=True)
    _v_events(story=True)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP VIEW IF EXISTS v_articles")
    op.execute("DROP VIEW IF EXISTS v_events")
    op.drop_index("ix_articles_story_id", "articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("story_id")
    op.drop_table("article_signatures")
    op.drop_index("ix_stories_first_seen", "stories")
    op.drop_table("stories")
    _v_articles(dialect, story=False)
    _v_events(story=False)
