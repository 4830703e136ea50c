"""The web interface: server-rendered pages (Jinja2 + htmx) over the same services and permissions as the API.

``router`` holds every page (none of them in the OpenAPI document); ``STATIC`` is mounted at /static/web.
A new page is a module with its own ``APIRouter(route_class=WebRoute)`` and ``nav.add(...)`` line, included
below (docs/web.md, "How to add a page").
"""

from pathlib import Path

from fastapi import APIRouter

from api.web import admin, agent, archivist_pages, auth, clerk, library_pages, record_pages, search_pages

STATIC = Path(__file__).resolve().parent / "static"

#: Every page module, in the order their routes are matched; tests walk this to check each page.
PAGE_MODULES = (auth, clerk, record_pages, search_pages, agent, admin, archivist_pages, library_pages)

router = APIRouter(include_in_schema=False)
for _module in PAGE_MODULES:
    router.include_router(_module.router)
