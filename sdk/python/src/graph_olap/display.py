"""Notebook display helpers: CSS injection and interactive tables.

Owns how tables appear in Jupyter: ``itables`` interactive tables when that
package is present, the SDK's HTML tables otherwise, plain text outside
notebooks.  It never talks to the server.

Example:
    >>> from graph_olap.instance.result import QueryResult
    >>> show_table(QueryResult(["a"], ["INT64"], [[1]]))
    a
    -
    1
"""

from __future__ import annotations

from typing import Any

from graph_olap.progress import in_notebook

__all__ = ["inject_css", "setup_itables", "show_table"]

_ITABLES_READY = False


def setup_itables() -> bool:
    """Enable interactive DataFrame tables when ``itables`` is installed.

    Example:
        >>> isinstance(setup_itables(), bool)
        True
    """
    global _ITABLES_READY
    if _ITABLES_READY:
        return True
    if not in_notebook():
        return False
    try:
        import itables

        itables.init_notebook_mode(all_interactive=False, connected=False)
    except Exception:
        return False
    _ITABLES_READY = True
    return True


def inject_css() -> bool:
    """Load the embedded notebook CSS into the current Jupyter page.

    Example:
        >>> inject_css()   # outside Jupyter: does nothing
        False
    """
    if not in_notebook():
        return False
    from IPython.core.display import HTML
    from IPython.core.display_functions import display

    from graph_olap.styles import get_notebook_css

    display(HTML(f"<style>{get_notebook_css()}</style>"))
    return True


def show_table(result: Any, max_rows: int = 50) -> None:
    """Display a query result or DataFrame (itables → HTML → text).

    Example:
        >>> from graph_olap.instance.result import QueryResult
        >>> show_table(QueryResult(["n"], ["INT64"], [[2]]))
        n
        -
        2
    """
    if not in_notebook():
        text = result._text_table(max_rows) if hasattr(result, "_text_table") else str(result)
        print(text)
        return
    from IPython.core.display import HTML
    from IPython.core.display_functions import display

    if setup_itables():
        try:
            import itables

            frame = result.to_pandas() if hasattr(result, "to_pandas") else result
            itables.show(frame)
            return
        except Exception:
            pass
    if hasattr(result, "_repr_html_"):
        try:
            display(HTML(result._repr_html_(max_rows=max_rows)))
        except TypeError:
            display(HTML(result._repr_html_()))
    else:
        display(result)
