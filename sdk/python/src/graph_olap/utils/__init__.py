"""Helpers for notebooks (mapping diff rendering).

Example:
    >>> from graph_olap.utils.diff import diff_to_dict
    >>> callable(diff_to_dict)
    True
"""
