"""The command line's shared state: the global options, and running SDK calls with them."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from phonenumbers_async import (
    AsyncClient,
)
from phonenumbers_async._config import DEFAULT_BASE_URL

from ._common import (
    EXIT_USAGE,
    CliError,
)
from ._output import (
    Output,
)

__all__ = ["Settings", "call", "run_async"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Settings:
    """The global options, shared with every command through the click context."""

    auth_id: str | None = None
    auth_token: str | None = None
    base_url: str | None = None
    output_format: str = "table"
    quiet: bool = False
    verbose: bool = False
    timeout: float = 30.0
    rate_limit: float | None = None
    allow_http: bool = False

    _log_handler: logging.Handler | None = None
    _log_level: int = logging.NOTSET

    def start_logging(self) -> None:
        """Send the SDK's debug log (one line per HTTP attempt, never a token) to stderr.

        Once: ``-v`` before and after the command name is one handler, not two.
        """
        if self._log_handler is not None:
            return
        logger = logging.getLogger("phonenumbers_async")
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self._log_handler, self._log_level = handler, logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)

    def stop_logging(self) -> None:
        """Undo :meth:`start_logging` (``run`` may be called in-process, by tests)."""
        if self._log_handler is not None:
            logger = logging.getLogger("phonenumbers_async")
            logger.removeHandler(self._log_handler)
            logger.setLevel(self._log_level)
            self._log_handler = None

    def output(self) -> Output:
        return Output(self.output_format, quiet=self.quiet)

    def client(self, *, max_concurrency: int = 8) -> AsyncClient:
        """An async client from the options; missing credentials are a usage error."""
        missing = [
            (flag, env)
            for flag, env, value in (
                ("--auth-id", "VOBIZ_AUTH_ID", self.auth_id),
                ("--auth-token", "VOBIZ_AUTH_TOKEN", self.auth_token),
            )
            if not value
        ]
        if missing:
            flags = " and ".join(flag for flag, _ in missing)
            names = " and ".join(env for _, env in missing)
            raise CliError(
                f"missing credentials: pass {flags}, or set {names}",
                EXIT_USAGE,
                code="missing_credentials",
            )
        return AsyncClient(
            self.auth_id,
            self.auth_token,
            base_url=self.base_url,
            timeout=self.timeout,
            rate_limit=self.rate_limit,
            max_concurrency=max_concurrency,
            allow_http=self.allow_http,
        )

    @property
    def effective_base_url(self) -> str:
        """The base URL requests go to: the option or variable, else the API's."""
        return self.base_url or DEFAULT_BASE_URL


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def call(settings: Settings, action: Callable[[AsyncClient], Awaitable[T]]) -> T:
    """Run one SDK call with a client made from the options, closing it after."""
    client = settings.client()

    async def go() -> T:
        async with client:
            return await action(client)

    return run_async(go())
