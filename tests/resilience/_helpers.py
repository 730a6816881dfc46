"""Kept only for ``tests/resilience/test_bulk.py`` (the bulk work's file), which imports
``fast_policy`` from here; everything else imports ``tests/support`` directly."""

from support.wire import fast_policy

__all__ = ["fast_policy"]
