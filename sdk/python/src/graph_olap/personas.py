"""The demo personas (DEMO.md) as an enum, for notebooks that act as different users.

Each member's value is a :class:`PersonaConfig`: the persona's short name,
role, display name, and the environment variable that may override its
username.  ``username`` is what the platform knows the persona as
(``analyst_alice@e2e.local`` …).

Example:
    >>> Persona.OPS_DAVE.value.username, Persona.OPS_DAVE.value.role
    ('ops_dave@e2e.local', 'ops')
    >>> TestPersona is Persona
    True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from typing import Any, Optional

__all__ = ["Persona", "PersonaConfig", "TestPersona", "persona_client"]


@dataclass(frozen=True)
class PersonaConfig:
    """One persona: ``name`` (``analyst_alice``), ``role``, ``display_name``, ``env_var``.

    Example:
        >>> p = PersonaConfig("admin_carol", "admin", "Carol (Admin)", "X")
        >>> p.expected_role, p.description
        ('admin', 'Admin user Carol - elevated admin permissions')
    """

    name: str
    role: str
    display_name: str
    env_var: str

    @property
    def expected_role(self) -> str:
        """The role the platform should report for this persona."""
        return self.role

    @property
    def description(self) -> str:
        """One-line description of the persona and its permissions."""
        first = self.display_name.split(" ")[0]
        if self.role == "ops":
            return f"Ops user {first} - operations and monitoring permissions"
        if self.role == "admin":
            return f"Admin user {first} - elevated admin permissions"
        return f"{self.role.capitalize()} user {first} - standard {self.role} permissions"

    @property
    def username(self) -> str:
        """The persona's username (``$env_var`` when set, else ``<name>@e2e.local``)."""
        value = (os.environ.get(self.env_var) or "").strip()
        return value or f"{self.name}@e2e.local"


class Persona(Enum):
    """The four seeded personas of the demo platform.

    Example:
        >>> [p.value.role for p in Persona]
        ['analyst', 'analyst', 'admin', 'ops']
    """

    ANALYST_ALICE = PersonaConfig("analyst_alice", "analyst", "Alice (Analyst)",
                                  "GRAPH_OLAP_USERNAME_ANALYST_ALICE")
    ANALYST_BOB = PersonaConfig("analyst_bob", "analyst", "Bob (Analyst)",
                                "GRAPH_OLAP_USERNAME_ANALYST_BOB")
    ADMIN_CAROL = PersonaConfig("admin_carol", "admin", "Carol (Admin)",
                                "GRAPH_OLAP_USERNAME_ADMIN_CAROL")
    OPS_DAVE = PersonaConfig("ops_dave", "ops", "Dave (Ops)", "GRAPH_OLAP_USERNAME_OPS_DAVE")


#: Same enum under the name the test harness uses.
TestPersona = Persona


def persona_client(persona: Any, api_url: Optional[str] = None, **kwargs: Any) -> Any:
    """A :class:`~graph_olap.client.GraphOLAPClient` acting as ``persona``.

    Uses the persona's API key when ``GRAPH_OLAP_API_KEY_<NAME>`` (e.g.
    ``GRAPH_OLAP_API_KEY_ANALYST_ALICE``) is set, else its username
    (development identity mode).  ``persona`` is a :class:`Persona` (or a member
    of :class:`graph_olap.testing.TestPersona`) or a username.

    Example:
        >>> persona_client(Persona.ADMIN_CAROL, "http://localhost:8000").username
        'admin_carol@e2e.local'
    """
    from graph_olap.client import GraphOLAPClient

    if isinstance(persona, str):
        return GraphOLAPClient(api_url, username=persona, **kwargs)
    config = persona.value if isinstance(persona, Enum) else persona
    name = getattr(config, "name", str(config))
    key = (os.environ.get(f"GRAPH_OLAP_API_KEY_{name.upper()}") or "").strip()
    if key:
        return GraphOLAPClient(api_url, api_key=key, **kwargs)
    username = getattr(config, "username", None) or f"{name}@e2e.local"
    return GraphOLAPClient(api_url, username=username, **kwargs)
