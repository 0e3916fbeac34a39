"""What analysts see in Jupyter: errors as code/message/hint, models and lists as HTML.

The error test runs a real Jupyter kernel (nbclient + ipykernel) whose cell calls a
real HTTP server (``ScriptedServer``) that answers with the API's error envelope.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Dict, List, Type

import nbformat
import pytest
from nbclient import NotebookClient

import graph_olap.models as models
from graph_olap.exceptions import GraphOLAPError, error_from_response
from graph_olap.models.base import GraphOLAPModel
from graph_olap.models.pagination import PaginatedList

from .scripted_server import ScriptedServer

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_an_api_error_in_a_notebook_shows_code_message_and_hint(server: ScriptedServer) -> None:
    server.queue.append((404, {"X-Request-ID": "req-42"}, {
        "error": {"code": "NOT_FOUND", "message": "Mapping 42 not found",
                  "details": {"resource_type": "mapping", "resource_id": 42}},
        "meta": {"request_id": "req-42"}}))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from graph_olap import GraphOLAPClient\n"
        f"GraphOLAPClient({server.url!r}, username='analyst_alice@e2e.local')"
        ".mappings.get(42)")]
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    errors = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert len(errors) == 1
    shown = ANSI.sub("", "\n".join(errors[0].traceback))
    assert shown.splitlines()[0] == "NotFoundError [NOT_FOUND] (HTTP 404): Mapping 42 not found"
    assert "Hint: Check the id or name" in shown
    assert "Request id: req-42" in shown
    # No HTTP internals: no frames of the SDK's transport or of httpx.
    assert "httpx" not in shown and "http.py" not in shown and "File " not in shown
    assert server.requests[0].path == "/api/mappings/42"


def test_field_errors_and_hint_in_the_error_card() -> None:
    err = error_from_response(400, {"error": {
        "code": "VALIDATION_FAILED", "message": "Invalid mapping",
        "details": {"errors": [{"field": "node_definitions[0].label", "message": "reserved"}]}}},
        request_id="r-7")
    card = err._repr_html_()
    for part in ("VALIDATION_FAILED", "Invalid mapping", "node_definitions[0].label: reserved",
                 "Hint:", "r-7", "HTTP 400"):
        assert part in card
    assert err._render_traceback_()[1] == "  - node_definitions[0].label: reserved"
    assert err.hint is not None and GraphOLAPError("x").hint is None


def _model_classes() -> List[Type[GraphOLAPModel]]:
    out = []
    for name in dir(models):
        obj = getattr(models, name)
        if inspect.isclass(obj) and issubclass(obj, GraphOLAPModel) and obj is not GraphOLAPModel:
            out.append(obj)
    return sorted(set(out), key=lambda c: c.__name__)


def _sample(cls: Type[GraphOLAPModel]) -> Dict[str, Any]:
    """Values for the required fields (a string, number, empty container or nested model by type)."""
    data: Dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        if not field.is_required():
            continue
        if inspect.isclass(field.annotation) and issubclass(field.annotation, GraphOLAPModel):
            data[field.alias or name] = _sample(field.annotation)
            continue
        ann = str(field.annotation)
        data[field.alias or name] = (
            7 if "int" in ann else 1.5 if "float" in ann else [] if "List" in ann or "list" in ann
            else {} if "Dict" in ann or "dict" in ann else True if "bool" in ann
            else {"name": "id", "type": "STRING"} if "PrimaryKey" in ann else "x")
    return data


@pytest.mark.parametrize("cls", _model_classes(), ids=lambda c: c.__name__)
def test_every_model_renders_html_with_its_identifying_fields(cls: Type[GraphOLAPModel]) -> None:
    obj = cls.model_validate(_sample(cls))
    page = obj._repr_html_()
    assert page.startswith("<div class='graph-olap")
    for key, value in obj._repr_pairs():
        if isinstance(value, (str, int)) and not isinstance(value, bool) and key != "status":
            assert str(value) in page, (key, value)
    listed = PaginatedList([obj], total=3, offset=0, limit=1)._repr_html_()
    assert "<table" in listed and "1–1 of 3" in listed


def test_lists_of_models_render_as_html_tables(server: ScriptedServer, http: Any) -> None:
    from graph_olap.resources.favorites import FavoriteResource
    from graph_olap.resources.schema import SchemaResource

    server.add(200, {"data": [{"catalog_name": "demo", "schema_count": 2}],
                     "meta": {"request_id": "r"}})
    server.add(200, {"data": [{"resource_type": "mapping", "resource_id": 3,
                               "resource_name": "tutorial-customer-graph",
                               "created_at": "2025-01-15T10:30:00Z"}],
                     "meta": {"request_id": "r"}})
    catalogs = SchemaResource(http).list_catalogs()
    favorites = FavoriteResource(http).list()
    for items, expected in ((catalogs, "demo"), (favorites, "tutorial-customer-graph")):
        page = items._repr_html_()
        assert "<table" in page and expected in page and "1–1 of 1" in page
        assert isinstance(items, list) and len(items) == 1
