"""Which docstring examples need the server, and the names they are given.

One rule for every doctest run: an example block (one docstring's examples)
is **live** when it reads one of :data:`LIVE_NAMES` without assigning it first.
Offline runs (``tests/unit/test_config_and_misc.py::test_doctests``) skip live
blocks; ``pytest --doctest-modules src`` (``scripts/test``'s doctest run, with
``sdk/python/conftest.py``) runs them against a real ``graph-olap up`` started
like the integration suite's (``GRAPH_OLAP_BIN``, or ``GRAPH_OLAP_TEST_API_URL``
for a running platform), with these names bound:

``client``  the analyst persona's :class:`~graph_olap.GraphOLAPClient` (``analyst_alice@e2e.local``)
``admin``   the admin persona's client; ``ops``: the ops persona's client
``mapping`` the seeded tutorial mapping ``tutorial-customer-graph``
``inst``    a running instance of it, owned by the analyst; ``conn``: a connection to it
            (started on the first block that reads one of them)
"""

from __future__ import annotations

import ast
import doctest
import textwrap
from typing import Any, Dict, Iterator, Set

#: Names a live example may use without defining them.
LIVE_NAMES = frozenset({"client", "admin", "ops", "mapping", "inst", "conn"})


def _names(source: str) -> Iterator[tuple[str, bool]]:
    """``(name, is_store)`` for every plain name in one example's source."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.id, isinstance(node.ctx, ast.Store)


def free_live_names(test: doctest.DocTest) -> Set[str]:
    """Live names read by ``test`` before (or without) being assigned in it."""
    assigned: Set[str] = set()
    free: Set[str] = set()
    for example in test.examples:
        names = list(_names(example.source))
        for name, store in names:
            if not store and name in LIVE_NAMES and name not in assigned \
                    and name not in test.globs:
                free.add(name)
        assigned.update(name for name, store in names if store)
    return free


def is_live(test: doctest.DocTest) -> bool:
    """True when the block needs the server (see the module docstring)."""
    return bool(free_live_names(test))


#: Names bound only when a block reads them (they start an instance).
INSTANCE_NAMES = frozenset({"inst", "conn"})


def live_clients(client_factory: Any, stack: Any) -> Dict[str, Any]:
    """Bind ``client``, ``admin``, ``ops`` and ``mapping``: ``client_factory(persona)`` makes
    clients; ``stack`` (an :class:`contextlib.ExitStack`) receives their clean-up."""
    from graph_olap.notebook_setup import TUTORIAL_MAPPING

    client = stack.enter_context(client_factory("analyst"))
    admin = stack.enter_context(client_factory("admin"))
    ops = stack.enter_context(client_factory("ops"))
    mapping = client.mappings.get_by_name(TUTORIAL_MAPPING)
    return {"client": client, "admin": admin, "ops": ops, "mapping": mapping}


def live_instance(names: Dict[str, Any], stack: Any) -> Dict[str, Any]:
    """Bind ``inst`` (a running instance of ``mapping``, owned by ``client``) and ``conn``."""
    from graph_olap.testing import random_name

    client, mapping = names["client"], names["mapping"]
    inst = client.instances.create_from_mapping_and_wait(
        mapping.id, random_name("doctest"), ttl="PT1H", timeout=900, show_progress=False)
    stack.callback(lambda: client.instances.terminate(inst.id))
    conn = client.instances.connect(inst)
    stack.callback(conn.close)
    return {"inst": inst, "conn": conn}
