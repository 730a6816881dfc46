"""Who may act on what: authentication, the path account, and numbers.

This is the one place that decides it (the wire spec, end of "Sub-account
lifecycle"):

- the caller is whoever the ``X-Auth-ID``/``X-Auth-Token`` pair proves;
- the path account (``{auth_id}`` in the path) must be the caller or, for a
  master caller, one of its sub-accounts;
- a request acts on the path account's numbers: a master path covers the
  master's numbers and its sub-accounts', a sub-account's path its own only.
  A number elsewhere in the family (the master's, a sibling's) is 403; a
  number outside the family (another master's, inventory, nobody's) gets the
  answer each route documents (``outside``).

The store calls :meth:`Actor.check_number` inside its transaction, so the
decision and the change it allows are atomic.
"""

from __future__ import annotations

import dataclasses
import hmac
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

__all__ = [
    "AUTH_ID_PATTERN",
    "Actor",
    "AuthError",
    "ForceNeedsAdmin",
    "InvalidCredentials",
    "MissingCredentials",
    "NumberOfAnotherAccount",
    "PathNotPermitted",
    "check_credentials",
    "path_actor",
]

AUTH_ID_PATTERN = re.compile(r"(MA|SA)_[A-Za-z0-9]{1,64}")
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9._~-]{1,128}")


class AuthError(Exception):
    """A request the caller may not make; ``_http.ERRORS`` says how it is answered."""


class MissingCredentials(AuthError):
    """No ``X-Auth-ID`` or no ``X-Auth-Token`` header."""


class InvalidCredentials(AuthError):
    """Unknown Auth ID, wrong token, or a disabled account."""


class PathNotPermitted(AuthError):
    """The path account is neither the caller nor one of its sub-accounts."""


class NumberOfAnotherAccount(AuthError):
    """The number belongs to another account of the family (the master or a sibling)."""


class ForceNeedsAdmin(AuthError):
    """``force=true`` from an account that is not an admin."""


Lookup = Callable[[str], Mapping[str, Any] | None]


def check_credentials(auth_id: str, token: str, lookup: Lookup) -> Mapping[str, Any]:
    """The account the headers prove, or an ``AuthError``.

    Header values arrive as text decoded with ``surrogateescape``; anything
    that is not a well-formed Auth ID or token is refused before any lookup
    or comparison, so odd bytes cannot reach ``hmac.compare_digest``.
    """
    if not auth_id or not token:
        raise MissingCredentials("missing X-Auth-ID or X-Auth-Token header")
    if not AUTH_ID_PATTERN.fullmatch(auth_id) or not _TOKEN_PATTERN.fullmatch(token):
        raise InvalidCredentials("invalid credentials")
    account = lookup(auth_id)
    if (
        account is None
        or not hmac.compare_digest(account["auth_token"].encode(), token.encode())
        or not account["enabled"]
    ):
        raise InvalidCredentials("invalid credentials")
    return account


@dataclasses.dataclass(frozen=True)
class Actor:
    """A caller acting on a path account."""

    caller: str
    account: str
    master: str
    is_admin: bool

    @property
    def on_master_path(self) -> bool:
        """Whether the path account is the family's master."""
        return self.account == self.master

    def check_force(self, force: bool) -> None:
        """``force=true`` is for admins only."""
        if force and not self.is_admin:
            raise ForceNeedsAdmin("force=true requires an admin account")

    def may_act_on(self, owner: str | None, subaccounts: Collection[str]) -> bool:
        """Whether a number owned by ``owner`` is within this request's reach.

        ``subaccounts`` are the family master's sub-accounts.
        """
        if owner is None:
            return False
        if self.on_master_path:
            return owner == self.master or owner in subaccounts
        return owner == self.account

    def check_number(
        self, owner: str | None, subaccounts: Collection[str], outside: Exception
    ) -> None:
        """Raise unless the request may act on a number owned by ``owner``.

        ``outside`` is raised for a number outside the family (the route's
        documented answer); a number of another family member is 403.
        """
        if self.may_act_on(owner, subaccounts):
            return
        if owner is not None and (owner == self.master or owner in subaccounts):
            raise NumberOfAnotherAccount(
                "a sub-account may act only on its own numbers; this one belongs to "
                "another account of the family"
            )
        raise outside


def path_actor(caller: Mapping[str, Any], path_id: str, lookup: Lookup) -> Actor:
    """The caller acting on ``path_id``: itself, or (a master) one of its sub-accounts."""
    caller_id = str(caller["auth_id"])
    master = str(caller["parent_auth_id"] or caller_id)
    if path_id == caller_id:
        return Actor(caller_id, caller_id, master, bool(caller["is_admin"]))
    account = lookup(path_id) if AUTH_ID_PATTERN.fullmatch(path_id) else None
    if account is None or account["parent_auth_id"] != caller_id:
        raise PathNotPermitted("the path account is neither the caller nor its sub-account")
    return Actor(caller_id, path_id, caller_id, bool(caller["is_admin"]))
