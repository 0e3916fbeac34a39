"""Package version (single source, read by ``graph_olap.__version__``)."""

__version__ = "0.1.0"
