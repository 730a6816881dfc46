"""The API's resources: ``numbers``, ``inventory`` and ``subaccounts``."""

from .inventory import Inventory
from .numbers import Numbers
from .subaccounts import SubAccounts

__all__ = ["Inventory", "Numbers", "SubAccounts"]
