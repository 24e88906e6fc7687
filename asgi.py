"""The app as an ASGI application: Streamlit's app (``app.py``, the router) plus the explore chart's redraw
route (``ui.explore.main_chart``). ``streamlit run asgi.py`` (through ``scripts/serve.py``: ``make run``, the
Dockerfile) serves both; ``streamlit run app.py`` serves the app alone, whose chart then redraws with each
rerun only.
"""

from __future__ import annotations

import json

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ui.explore.main_chart import ROUTE, redraw

#: A redraw request is the editor's values and a few view options: a few kB.
MAX_BODY = 64_000


async def explore_redraw(request: Request) -> JSONResponse:
    """POST: the explore chart's figure for a moved slider (``ui.explore.main_chart.redraw``), computed on a worker
    thread so the server's event loop keeps serving every session's websocket meanwhile."""
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"error": f"request: must be at most {MAX_BODY:,} bytes"}, status_code=413)
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return JSONResponse({"error": "request: must be JSON"}, status_code=400)
    status, answer = await run_in_threadpool(redraw, payload)
    return JSONResponse(answer, status_code=status)


app = st.App("app.py", routes=[Route(ROUTE, explore_redraw, methods=["POST"])])
