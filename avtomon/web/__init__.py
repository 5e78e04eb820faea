"""`avtomon serve`: a read-only web view of the store (dashboard, search, company, region, category and
article pages, exports), on Starlette with Jinja2 templates, served by uvicorn."""

from avtomon.web.app import create_app

__all__ = ["create_app"]
