"""The query string of a page → Filters, and links that add or drop one filter value.

Only the names below are read; their values go through the same parsers as the CLI's options (dates,
spans, entity names in any case form), so a URL can say what a command line says. Anything that cannot
be read is a BadRequest with a message for a person, shown on a 400 page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from avtomon.errors import AvtomonError
from avtomon.labels import EVENT_TYPES_RU  # the event types a URL may name
from avtomon.pipeline.filters import Filters, parse_when

MULTI = ("company", "region", "category", "event", "source")
KNOWN = {*MULTI, "q", "since", "until", "all", "passing", "page", "days", "format", "table", "russian"}
MAX_TEXT = 200
MAX_PAGE = 1000


class BadRequest(AvtomonError):
    """A parameter a page cannot use: shown as a 400 page with this message."""


def filters_from(params: QueryParams, tz: str) -> Filters:
    """The filters a page's query string asks for (q = words in any form, the others as in the CLI)."""
    values = {name: tuple(v.strip() for v in params.getlist(name) if v.strip()) for name in MULTI}
    for value in values["event"]:
        if value not in EVENT_TYPES_RU:
            raise BadRequest(f"event={value!r}: unknown event type (one of {', '.join(EVENT_TYPES_RU)})")
    text = (params.get("q") or "").strip()
    if len(text) > MAX_TEXT:
        raise BadRequest(f"q: a search of {len(text)} characters; at most {MAX_TEXT}")
    try:
        since = parse_when(params["since"], tz=tz) if params.get("since") else None
        until = parse_when(params["until"], end=True, tz=tz) if params.get("until") else None
    except AvtomonError as exc:
        raise BadRequest(str(exc)) from None
    if since and until and since >= until:
        raise BadRequest("since must come before until")
    return Filters(since=since, until=until, text=text or None, include_irrelevant=_flag(params, "all"),
                   passing=_flag(params, "passing"), tz=tz, **values)


def _flag(params: QueryParams, name: str) -> bool:
    value = params.get(name, "")
    if value not in ("", "0", "1", "on"):
        raise BadRequest(f"{name}={value!r}: use 1 or leave it out")
    return value in ("1", "on")


def number(params: QueryParams, name: str, default: int, low: int, high: int) -> int:
    """An integer parameter within [low, high]."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name}={raw!r}: expected a whole number") from None
    if not low <= value <= high:
        raise BadRequest(f"{name}={value}: expected a number from {low} to {high}")
    return value


def kept(params: QueryParams) -> list[tuple[str, str]]:
    """The filter parameters of the query string, in order (no page: a new filter starts at page 1)."""
    return [(k, v) for k, v in params.multi_items() if k in KNOWN and k not in ("page", "format", "table") and v]


def with_value(params: QueryParams, name: str, value: str) -> str:
    """The query string with one more value of a filter (or a single-valued one replaced)."""
    items = [(k, v) for k, v in kept(params) if not (k == name and (name not in MULTI or v == value))]
    return "?" + urlencode([*items, (name, value)])


def without(params: QueryParams, name: str, value: str | None = None) -> str:
    """The query string without one value of a filter (every value when `value` is None)."""
    items = [(k, v) for k, v in kept(params) if not (k == name and (value is None or v == value))]
    return "?" + urlencode(items) if items else "?"


def with_page(params: QueryParams, page: int) -> str:
    return "?" + urlencode([*kept(params), ("page", str(page))])


def with_dates(params: QueryParams, span: str) -> str:
    """The query string with since and until set to a "since/until" pair (a month of the date facet)."""
    since, until = span.split("/")
    items = [(k, v) for k, v in kept(params) if k not in ("since", "until")]
    return "?" + urlencode([*items, ("since", since), ("until", until)])
