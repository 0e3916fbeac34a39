"""Builds the SDK's API reference from its docstrings with pdoc, and checks what it is built from.

The reference is HTML, one page per public module (``graph_olap`` and every module below it whose
dotted path has no part starting with ``_``), written by `pdoc <https://pdoc.dev>`_ with Google
docstrings (``Args:``, ``Returns:``, ``Example:``) and Sphinx roles (``:class:`X```). It is not
committed: ``scripts/docs`` builds it (default ``sdk/python/build/api-reference``).

``--check`` (what ``scripts/docs`` and ``tests/unit/test_api_reference.py`` run) fails when

* a public item has no docstring: a public module, a class or function it defines and exports
  (its ``__all__``, else its names without ``_``), or a public method/property such a class
  defines itself;
* a cross-reference role in those docstrings (``:class:``, ``:func:``, ``:meth:``, ``:mod:``,
  ``:attr:``, ``:exc:``, ``:data:``) names nothing: targets resolve as Sphinx would, relative to
  the class, then the module, then absolute, then under ``graph_olap``;
* pdoc warns (except for names a package serves lazily through its module ``__getattr__``,
  which pdoc cannot see but which do resolve);
* a link of the generated pages points to a page or an anchor that does not exist.

    python tools/api_reference.py [--out DIR] [--check]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import pkgutil
import re
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent
SDK = HERE.parent
DEFAULT_OUT = SDK / "build" / "api-reference"
PACKAGE = "graph_olap"
ROLE = re.compile(r":(?:py:)?(class|func|meth|mod|attr|exc|data|obj):`([^`]+)`")


def public_modules() -> List[str]:
    """Dotted names of the public modules: the package and every module without a ``_`` part."""
    package = importlib.import_module(PACKAGE)
    names = [PACKAGE]
    for info in pkgutil.walk_packages(package.__path__, PACKAGE + "."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            names.append(info.name)
    return names


def _exported(module: ModuleType) -> List[Tuple[str, Any]]:
    """Classes and functions a module exports (``__all__``, else names without ``_``) and defines,
    itself or in a private module behind it."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    out = []
    for name in names:
        obj = getattr(module, name, None)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        # Defined here, or in a private module of the package and documented here (pdoc does so).
        home = obj.__module__
        if home == module.__name__ or (home.split(".")[0] == PACKAGE and _private(home)):
            out.append((name, obj))
    return out


def _members(cls: type) -> Iterator[Tuple[str, Any]]:
    """Public methods and properties a class defines itself (inherited ones are documented where
    they are defined); a property is given as itself (its ``doc`` may be set without a getter's)."""
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, property):
            yield name, value
        elif isinstance(value, (staticmethod, classmethod)):
            yield name, value.__func__
        elif inspect.isfunction(value):
            yield name, value


class Item:
    """One documented thing: its dotted name, docstring, and the scopes its references resolve in."""

    def __init__(self, name: str, doc: Optional[str], module: ModuleType, cls: Optional[type]) -> None:
        self.name = name
        self.doc = doc
        self.module = module
        self.cls = cls


def _private(name: str) -> bool:
    return any(part.startswith("_") for part in name.split("."))


def inherited_private() -> List[type]:
    """Classes of the package that public classes inherit from although the class or its module is
    private (``_HasDefinitions``, the algorithm managers' base): what they give the public classes
    (``Mapping.get_node``, ``conn.algo.list``) is public, so they are documented too."""
    classes = [obj for module_name in public_modules()
               for _name, obj in _exported(importlib.import_module(module_name)) if inspect.isclass(obj)]
    found: Dict[str, type] = {}
    for cls in classes:
        for base in cls.__mro__[1:]:
            if (base.__module__.split(".")[0] == PACKAGE and base not in classes
                    and _private(f"{base.__module__}.{base.__name__}")):
                found.setdefault(f"{base.__module__}.{base.__qualname__}", base)
    return [found[k] for k in sorted(found)]


def _class_items(module: ModuleType, name: str, cls: type) -> List[Item]:
    items = [Item(f"{module.__name__}.{name}", cls.__doc__, module, cls)]
    for member, value in _members(cls):
        items.append(Item(f"{module.__name__}.{name}.{member}", value.__doc__, module, cls))
    return items


def public_items() -> List[Item]:
    """Every public module, its exported classes/functions, the public members of those classes,
    and the private classes they inherit from (see :func:`inherited_private`) with their members."""
    items = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        items.append(Item(module_name, module.__doc__, module, None))
        for name, obj in _exported(module):
            if inspect.isclass(obj):
                items += _class_items(module, name, obj)
            else:
                items.append(Item(f"{module_name}.{name}", obj.__doc__, module, None))
    for cls in inherited_private():
        items += _class_items(importlib.import_module(cls.__module__), cls.__qualname__, cls)
    return items


def missing_docstrings(items: Sequence[Item]) -> List[str]:
    """Names of the public items without a docstring."""
    return [i.name for i in items if not (i.doc or "").strip()]


def _lookup(root: Any, path: Sequence[str]) -> bool:
    obj = root
    for part in path:
        try:
            obj = getattr(obj, part)
        except AttributeError:
            return False
    return True


def _absolute(target: str) -> bool:
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        return _lookup(module, parts[cut:])
    return False


def resolves(target: str, item: Item) -> bool:
    """Whether a role's target names something, seen from ``item`` (see the module docstring)."""
    target = target.strip().lstrip("~.").removesuffix("()")
    if "<" in target:  # ``title <target>``
        target = target.split("<", 1)[1].rstrip(">").strip()
    parts = target.split(".")
    if item.cls is not None and _lookup(item.cls, parts):
        return True
    if _lookup(item.module, parts) or _absolute(target):
        return True
    return _absolute(f"{PACKAGE}.{target}")


def broken_references(items: Sequence[Item]) -> List[str]:
    """``item: role target`` for every cross-reference that names nothing."""
    out = []
    for item in items:
        for role, target in ROLE.findall(item.doc or ""):
            if not resolves(target, item):
                out.append(f"{item.name}: :{role}:`{target}`")
    return out


def _lazy_name(message: str) -> bool:
    """A pdoc warning about an ``__all__`` name that the module serves through ``__getattr__``."""
    found = re.match(r"Found '([^']+)' in ([\w.]+)\.__all__, but it does not resolve", message)
    if not found:
        return False
    module = importlib.import_module(found.group(2))
    return hasattr(module, found.group(1))


def _top_level(modules: Sequence[str]) -> List[str]:
    """The module specs for pdoc: a package documents the submodules that its ``__all__`` names,
    or all of them without ``__all__``; naming those again would make pdoc warn."""
    out = []
    for name in modules:
        parent, _, last = name.rpartition(".")
        if parent in modules:
            listed = getattr(importlib.import_module(parent), "__all__", None)
            if listed is None or last in listed:
                continue
        out.append(name)
    return out


@contextlib.contextmanager
def _listed(classes: Sequence[type]) -> Iterator[None]:
    """While pdoc runs, the classes are in their modules' ``__all__`` (pdoc documents an ``_`` name
    when ``__all__`` lists it, and only what ``__all__`` lists when there is one); restored after."""
    saved: Dict[ModuleType, Optional[List[str]]] = {}
    for cls in classes:
        module = sys.modules[cls.__module__]
        if module not in saved:
            saved[module] = getattr(module, "__all__", None)
        names = saved[module]
        current = module.__dict__.get("__all__")
        if names is not None and current is not None and cls.__name__ not in current:
            module.__dict__["__all__"] = [*current, cls.__name__]
    try:
        yield
    finally:
        for module, names in saved.items():
            if names is not None:
                module.__dict__["__all__"] = names


def build(out: Path) -> List[str]:
    """Write the reference into ``out``; returns pdoc's warnings that matter (see module docstring)."""
    import pdoc
    import pdoc.render

    bases = inherited_private()
    pdoc.render.configure(docformat="google", show_source=False,
                          footer_text=f"{PACKAGE} SDK API reference")
    modules = _top_level(public_modules())
    modules += sorted({b.__module__ for b in bases if _private(b.__module__)})
    with warnings.catch_warnings(record=True) as caught, _listed(bases):
        warnings.simplefilter("always")
        pdoc.pdoc(*modules, output_directory=out)
    return [str(w.message) for w in caught if not _lazy_name(str(w.message))]


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Set[str] = set()
        self.hrefs: List[str] = []

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))


def broken_links(out: Path) -> List[str]:
    """``page: href`` for every link between the generated pages whose page or anchor is missing."""
    pages: Dict[Path, _Anchors] = {}
    for page in sorted(out.rglob("*.html")):
        parser = _Anchors()
        parser.feed(page.read_text(encoding="utf-8"))
        pages[page.resolve()] = parser
    problems = []
    for page, parsed in pages.items():
        for href in parsed.hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("mailto:"):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target not in pages:
                problems.append(f"{page.relative_to(out.resolve())}: {href} (no such page)")
            elif parts.fragment and unquote(parts.fragment) not in pages[target].ids:
                problems.append(f"{page.relative_to(out.resolve())}: {href} (no such anchor)")
    return problems


def check(out: Path) -> List[str]:
    """Build into ``out`` and return every problem found (empty: the reference is sound)."""
    items = public_items()
    problems = [f"no docstring: {name}" for name in missing_docstrings(items)]
    problems += [f"broken reference: {ref}" for ref in broken_references(items)]
    problems += [f"pdoc: {w}" for w in build(out)]
    problems += [f"broken link: {link}" for link in broken_links(out)]
    return problems


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line: build the reference (``--check``: and fail on any problem)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.out)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"{len(problems)} problem(s) in the API reference", file=sys.stderr)
            return 1
    else:
        for warning in build(args.out):
            print(f"pdoc: {warning}", file=sys.stderr)
    print(f"API reference: {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
