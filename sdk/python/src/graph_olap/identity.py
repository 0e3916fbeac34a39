"""The conventional default identity for development-mode notebooks.

The SDK does not apply it on its own (a client without credentials stays
anonymous); notebooks pass it explicitly, e.g.
``GraphOLAPClient(username=identity.DEFAULT_USERNAME)``, and may reassign it.

Example:
    >>> DEFAULT_USERNAME
    'analyst_alice@e2e.local'
"""

__all__ = ["DEFAULT_USERNAME"]

#: The demo analyst persona (DEMO.md).
DEFAULT_USERNAME: str = "analyst_alice@e2e.local"
