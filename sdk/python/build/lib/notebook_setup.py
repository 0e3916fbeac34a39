"""Top-level alias so tutorials can write ``from notebook_setup import provision``.

Example:
    >>> from notebook_setup import provision
    >>> provision.__module__
    'graph_olap.notebook_setup'
"""

from graph_olap.notebook_setup import (
    PERSONAS,
    TUTORIAL_INSTANCE,
    TUTORIAL_MAPPING,
    ensure_tutorial_instance,
    ensure_tutorial_mapping,
    persona_clients,
    provision,
)

__all__ = [
    "PERSONAS",
    "TUTORIAL_INSTANCE",
    "TUTORIAL_MAPPING",
    "ensure_tutorial_instance",
    "ensure_tutorial_mapping",
    "persona_clients",
    "provision",
]
