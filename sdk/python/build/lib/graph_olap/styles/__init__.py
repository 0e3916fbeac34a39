"""Embedded notebook CSS design system (seed 002, ADR-091).

Example:
    >>> ".graph-olap" in get_notebook_css()
    True
"""

from __future__ import annotations

from importlib import resources

__all__ = ["get_notebook_css"]


def get_notebook_css() -> str:
    """Return the notebook CSS shipped inside the package.

    Example:
        >>> get_notebook_css().startswith("/*")
        True
    """
    return resources.files(__package__).joinpath("notebook.css").read_text(encoding="utf-8")
