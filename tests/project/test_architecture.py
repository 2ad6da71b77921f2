"""The package's import rules (docs/development.md, "Dependency rule").

Every module of ``compassion_scales`` (and ``cli/``, installed as ``compassion_scales.cli``)
is parsed with :mod:`ast`, never imported, so the test is fast and sees function-local
imports too. Three rules:

1. no module imports a ``_private`` name defined in another package module,
2. the graph of imports between package modules has no cycle, and
3. ``stats/`` imports nothing above errors and formatting.

Known debts are listed in the allowlists below, each with a comment; the test fails on
any NEW violation and also on an allowlist entry that is no longer needed (so the lists
only shrink).
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # self-contained: also run as a script

try:  # under pytest (tests/support on the path): one parse per process, shared with the other project tests
    from testkit import parsed
except ImportError:  # run as a script
    def parsed(path: Path) -> tuple[str, ast.Module]:
        text = path.read_text(encoding="utf-8")
        return text, ast.parse(text)
PACKAGE = "compassion_scales"

# the tests that parse every module (testkit.parsed, once per process) share one xdist worker
pytestmark = pytest.mark.xdist_group("ast")

# Private names imported across modules that are known debts (issue #11): importer -> name.
# Remove an entry when the debt is paid; never add one without a comment saying why.
ALLOWED_PRIVATE_IMPORTS: set[tuple[str, str]] = set()  # all paid (issue #11)

# Import cycles (as sorted module tuples of a strongly connected component) that are known debts.
ALLOWED_CYCLES: set[tuple[str, ...]] = set()


def _module_files() -> dict[str, Path]:
    """Dotted module name -> file, for the package and the CLI (``cli/`` is ``compassion_scales.cli``)."""
    out: dict[str, Path] = {}
    for base, prefix in ((ROOT / PACKAGE, PACKAGE), (ROOT / "cli", f"{PACKAGE}.cli")):
        for path in sorted(base.rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([prefix, *parts])] = path
    return out


def _resolve(module: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


@lru_cache(maxsize=1)
def import_graph() -> tuple[dict[str, set[str]], list[tuple[str, str, str]]]:
    """Edges between package modules, and ``(importer, source module, name)`` of private imports."""
    files = _module_files()
    modules = set(files)
    edges: dict[str, set[str]] = {m: set() for m in modules}
    private: list[tuple[str, str, str]] = []
    for mod, path in files.items():
        _, tree = parsed(path)
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules and alias.name != mod:
                        edges[mod].add(alias.name)
            elif isinstance(node, ast.ImportFrom):
                src = _resolve(mod, is_pkg, node)
                if not src.startswith(PACKAGE):
                    continue
                for alias in node.names:
                    sub = f"{src}.{alias.name}"
                    target = sub if sub in modules else src
                    if target in modules and target != mod:
                        edges[mod].add(target)
                    if target == src and alias.name.startswith("_") and src != mod \
                            and not alias.name.startswith("__"):
                        private.append((mod, src, alias.name))
    return edges, private


def cycles(edges: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[tuple[str, ...]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(tuple(sorted(comp)))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_graph_is_not_empty() -> None:
    edges, _ = import_graph()
    assert len(edges) > 40 and sum(map(len, edges.values())) > 50


def test_stats_imports_only_the_lowest_layers() -> None:
    """stats/ (arrays in, arrays out) never imports instruments, scoring, inputs or analyses."""
    edges, _ = import_graph()
    allowed = ("compassion_scales.stats", "compassion_scales.errors", "compassion_scales._format")
    bad = sorted((m, t) for m, ts in edges.items() if m.startswith("compassion_scales.stats")
                 for t in ts if not t.startswith(allowed))
    assert not bad, f"stats/ imports a higher layer: {bad}"


def test_no_new_private_imports_across_modules() -> None:
    _, private = import_graph()
    found = {(importer, name) for importer, _, name in private}
    new = sorted(found - ALLOWED_PRIVATE_IMPORTS)
    assert not new, f"private names imported across modules (make them public or move them): {new}"
    stale = sorted(ALLOWED_PRIVATE_IMPORTS - found)
    assert not stale, f"allowlisted private imports no longer exist, delete them: {stale}"


def test_no_new_import_cycles() -> None:
    edges, _ = import_graph()
    found = set(cycles(edges))
    new = sorted(found - ALLOWED_CYCLES)
    assert not new, f"import cycles between package modules: {new}"
    stale = sorted(ALLOWED_CYCLES - found)
    assert not stale, f"allowlisted import cycles no longer exist, delete them: {stale}"


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported by the module body itself (not inside functions or classes)."""
    out: set[str] = set()
    for node in parsed(path)[1].body:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
    return out


def test_analyses_sit_below_reporting_and_cli() -> None:
    """analyses/ never imports cli/; it reaches reporting/ only inside a result's figure or
    report method (a function-local import), never at module level."""
    edges, _ = import_graph()
    files = _module_files()
    analyses = [m for m in files if m.startswith("compassion_scales.analyses.")]
    assert len(analyses) >= 10, "the analyses package was not found"
    to_cli = sorted((m, t) for m in analyses for t in edges[m]
                    if t.startswith("compassion_scales.cli"))
    assert not to_cli, f"analyses import the CLI: {to_cli}"
    top = sorted((m, t) for m in analyses for t in _top_level_imports(files[m])
                 if t.startswith(("compassion_scales.reporting", "compassion_scales.cli")))
    assert not top, f"analyses import reporting/cli at module level: {top}"


if __name__ == "__main__":  # pragma: no cover - measurement helper for the closing note
    e, p = import_graph()
    print("modules", len(e), "edges", sum(map(len, e.values())), "cycles", cycles(e),
          "private cross-imports", len(p))
    for row in sorted(p):
        print(*row)
