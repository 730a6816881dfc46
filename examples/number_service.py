"""A small aiohttp web service in front of the Phone Numbers API, sharing one ``AsyncClient``.

Usage::

    export VOBIZ_AUTH_ID=MA_… VOBIZ_AUTH_TOKEN=…          # VOBIZ_BASE_URL for an emulator
    python examples/number_service.py --port 8080
    curl 'http://127.0.0.1:8080/inventory?country=IN'
    curl -X POST http://127.0.0.1:8080/numbers -d '{"e164": "+91…"}'

One client is made when the application starts and closed when it stops
(``cleanup_ctx``): every request handler uses it concurrently, over one
connection pool. SDK errors become HTTP answers in one middleware, so a
handler is the happy path only.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from phonenumbers_async import (
    APIError,
    AsyncClient,
    Conflict,
    InsufficientBalance,
    NotFound,
    NumberTaken,
    OutcomeUnknown,
    PhoneNumbersError,
    RateLimited,
    TransportError,
    ValidationError,
)

CLIENT = web.AppKey("client", AsyncClient)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_answer(status: int, exc: Exception, **extra: Any) -> web.Response:
    body = {"error": type(exc).__name__, "message": str(exc), **extra}
    return web.json_response(body, status=status)


@web.middleware
async def sdk_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map the SDK's error tree to HTTP, most specific first."""
    try:
        return await handler(request)
    except ValidationError as exc:  # bad input: nothing was sent upstream
        return error_answer(400, exc)
    except NumberTaken as exc:
        return error_answer(409, exc)
    except NotFound as exc:
        return error_answer(404, exc)
    except Conflict as exc:  # CoolOffInEffect among them
        return error_answer(409, exc)
    except InsufficientBalance as exc:
        return error_answer(402, exc)
    except RateLimited as exc:
        answer = error_answer(429, exc)
        if exc.retry_after is not None:
            answer.headers["Retry-After"] = str(int(exc.retry_after))
        return answer
    except OutcomeUnknown as exc:  # may have happened: the caller must check, not resend
        return error_answer(504, exc, outcome="unknown")
    except (APIError, TransportError) as exc:
        return error_answer(502, exc)
    except PhoneNumbersError as exc:  # an answer the SDK could not read, and the like
        return error_answer(502, exc)


def int_query(request: web.Request, name: str, default: int) -> int:
    """An integer query parameter; anything else is a 400 (the SDK checks the range)."""
    text = request.query.get(name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} must be an integer, not {text!r}") from None


async def list_numbers(request: web.Request) -> web.Response:
    client = request.app[CLIENT]
    page = await client.numbers.list(
        page=int_query(request, "page", 1), per_page=int_query(request, "per_page", 25)
    )
    return web.json_response(
        {"total": page.total, "items": [number.to_dict() for number in page.items]}
    )


async def list_inventory(request: web.Request) -> web.Response:
    client = request.app[CLIENT]
    page = await client.inventory.list(
        country=request.query.get("country"),
        search=request.query.get("search"),
        per_page=int_query(request, "per_page", 25),
    )
    return web.json_response(
        {"total": page.total, "items": [number.to_dict() for number in page.items]}
    )


async def purchase(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise web.HTTPBadRequest(text='the body must be JSON: {"e164": "+…"}') from None
    e164 = body.get("e164") if isinstance(body, dict) else None
    if not isinstance(e164, str):
        raise web.HTTPBadRequest(text='the body must be JSON: {"e164": "+…"}')
    number = await request.app[CLIENT].numbers.purchase(e164)
    return web.json_response(number.to_dict(), status=201)


async def release(request: web.Request) -> web.Response:
    released = await request.app[CLIENT].numbers.release(request.match_info["e164"])
    return web.json_response(released.to_dict())


async def shared_client(app: web.Application) -> AsyncIterator[None]:
    """One client for the application's whole life (credentials from VOBIZ_*)."""
    async with AsyncClient() as client:
        app[CLIENT] = client
        yield


def make_app() -> web.Application:
    app = web.Application(middlewares=[sdk_errors])
    app.cleanup_ctx.append(shared_client)
    app.router.add_get("/numbers", list_numbers)
    app.router.add_post("/numbers", purchase)
    app.router.add_delete("/numbers/{e164}", release)
    app.router.add_get("/inventory", list_inventory)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    web.run_app(make_app(), host=args.host, port=args.port)
