"""Lists come in pages, in the API and on the pages alike: the cost of a list follows the page,
not the history. A service takes a ``PageRequest`` and returns a ``Page``.

The API uses flask-smorest's pagination (``?page=&page_size=``, at most 100 a page, the
totals in the ``X-Pagination`` header); web pages use ``?page=`` and the ``pager`` macro.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        # Out-of-range numbers are clamped rather than refused: a stale bookmark still opens.
        object.__setattr__(self, "page", min(max(int(self.page or 1), 1), MAX_PAGE))
        object.__setattr__(self, "size", min(max(int(self.size or 1), 1), MAX_PAGE_SIZE))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @classmethod
    def from_args(cls, args: Any, size: int = DEFAULT_PAGE_SIZE) -> PageRequest:
        """From a page's query string (``?page=3``); anything odd means page 1."""
        raw = str(args.get("page", "1"))
        return cls(int(raw) if raw.isdigit() and len(raw) < 7 else 1, size)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def fetch_page(session: Session, statement: sa.Select, request: PageRequest) -> Page:
    """One page of ``statement`` (which must be ordered), and the total count."""
    counted = sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    total = int(session.execute(counted).scalar_one())
    rows = session.exec(statement.offset(request.offset).limit(request.size)).all()
    return Page(list(rows), request.page, request.size, total)


def page_of(items: list[T], request: PageRequest) -> Page[T]:
    """A page of a list already in memory (small lists ordered in Python, e.g. a tree)."""
    chunk = items[request.offset : request.offset + request.size]
    return Page(chunk, request.page, request.size, len(items))


# --- the API's side (flask-smorest's ``@blp.paginate``) --------------------------------------


def api_request(parameters: Any) -> PageRequest:
    """flask-smorest's pagination parameters as a ``PageRequest``."""
    return PageRequest(parameters.page, parameters.page_size)


def api_items(parameters: Any, page: Page) -> list:
    """The page's items for the response; the totals go to the ``X-Pagination`` header."""
    parameters.item_count = page.total
    return page.items
