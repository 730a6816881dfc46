"""The one set of test tools: import from here, never from ``conftest``.

``samples``    recorded provider payloads (``tests/samples``)
``wire``       the fake credentials, ``Sent`` (a request as the network saw it), the
               one recording retry policy and the one path-encoding helper
``transport``  ``ScriptedTransport``: the package's ``MockTransport`` answering from a
               script; ``HookedTransport``: a real transport with a hook after each send
``server``     the one scriptable loopback stub server, its canned answers, the listing
               API stand-in ``FakeAPI`` and the holding ``Proxy``
``control``    the package's ``EmulatorControl`` for sync tests
``aioresponses_compat``  aioresponses on aiohttp 3.14 (installed by ``tests/conftest.py``)
"""
