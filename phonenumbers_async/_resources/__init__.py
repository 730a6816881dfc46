"""The API's resources: ``numbers``, ``inventory``, ``subaccounts`` and ``account``."""

from .account import Account
from .inventory import Inventory
from .numbers import Numbers
from .subaccounts import SubAccounts

__all__ = ["Account", "Inventory", "Numbers", "SubAccounts"]
