"""The sync facade: the async client driven from synchronous code through a loop thread.

``_loop`` (the loop thread), ``_pages`` (the page stream), ``_base`` and the
generated ``_resources`` (the sync resources), ``_client`` (``Client``).
"""
