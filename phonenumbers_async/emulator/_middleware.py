"""The middlewares, outermost first.

1. ``outer``: a request id on every response; the header timer stopped; any
   failure that reaches it becomes a JSON 500 envelope (never aiohttp's
   plain-text page) and the server keeps serving.
2. ``control_guard``: the control API answers loopback peers only.
3. ``api_faults``: counting, latency, 5xx and 429 injection for ``/api``.
4. ``refusals``: every raised refusal answered through ``_http.ERRORS``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from .._net import is_loopback_host
from ._http import (
    CONTROL_PREFIX,
    REQUEST_ID,
    envelope,
    error_response,
    flat,
    read_body,
    server_error,
)
from ._state import state_of

__all__ = ["MIDDLEWARES", "api_faults", "control_guard", "outer", "refusals"]

log = logging.getLogger("phonenumbers_async.emulator")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The last resort when even building the envelope fails: fixed bytes.
_LAST_RESORT = (
    b'{"status": "error", "error": {"code": "INTERNAL_ERROR", "message": "internal error",'
    b' "details": {}}, "timestamp": null, "requestId": null}'
)


def _internal_error(request: web.Request) -> web.Response:
    try:
        return envelope(request, 500, "internal error")
    except Exception:
        return web.Response(body=_LAST_RESORT, status=500, content_type="application/json")


@web.middleware
async def outer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id on every response; every failure becomes a documented shape."""
    request_id = request[REQUEST_ID] = "req_" + secrets.token_hex(8)
    guard = state_of(request).guard
    protocol = request.protocol
    if guard is not None:
        guard.request_started(protocol)
    try:
        response = await handler(request)
    except asyncio.CancelledError:
        raise
    except ConnectionResetError:
        # The client went away (it timed out or was killed): nobody to answer.
        log.debug("emulator: client left during %s %s", request.method, request.path)
        response = envelope(request, 499, "client closed the connection")
    except Exception as exc:
        answer = error_response(request, exc)
        if answer is None:
            log.exception("emulator: unexpected error handling %s %s", request.method, request.path)
            answer = _internal_error(request)
        response = answer
    finally:
        if guard is not None:
            guard.request_finished(protocol)
    response.headers["X-Request-ID"] = request_id
    return response


@web.middleware
async def control_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The control API answers loopback peers only."""
    if request.path.startswith(CONTROL_PREFIX) and not is_loopback_host(request.remote):
        return flat(403, "forbidden", "the control API is only available from loopback")
    return await handler(request)


@web.middleware
async def api_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counting, latency, 5xx and 429 injection for every /api request."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    state = state_of(request)
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "<unmatched>"
    state.stats.requests[f"{request.method} {route}"] += 1
    faults = state.faults
    delay = faults.delay_seconds()
    if delay > 0:
        # Read the body first: the latency then sits between receiving a request
        # and handling it, so a client that gives up during the wait has still
        # sent a request that will be carried out (a timeout, not a refusal).
        await read_body(request)
        await asyncio.sleep(delay)
    status = faults.roll_server_error()
    if status is not None:
        response: web.StreamResponse = server_error(request, status)
    elif faults.roll_rate_limit():
        response = envelope(
            request,
            429,
            "rate limit exceeded",
            details={"retry_after": faults.retry_after_json()},
            headers={"Retry-After": faults.retry_after_header()},
        )
    else:
        response = await handler(request)
    state.stats.statuses[str(response.status)] += 1
    return response


@web.middleware
async def refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A raised refusal (input, authorisation, store) becomes its documented answer."""
    try:
        return await handler(request)
    except Exception as exc:
        answer = error_response(request, exc)
        if answer is None:
            raise
        return answer


MIDDLEWARES = (outer, control_guard, api_faults, refusals)
