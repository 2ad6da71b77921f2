"""One vocabulary (docs/development.md, "Glossary"; issue #11).

Inspects every exported function's signature, every CLI option and the column names the
package writes, and fails on a word the glossary replaced. Known debts still being paid
are listed below, grouped by the module that owns them; the test also fails when a listed
debt is gone (so the lists only shrink).
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import click
import pytest
from testkit import ROOT, parsed

import compassion_scales as cs

#: argument names the glossary replaced: old -> new.
OLD_ARGUMENTS = {
    "id_cols": "id", "subject": "id", "pre_time": "occasions", "post_time": "occasions",
    "baseline": "occasions", "follow_up": "occasions", "times": "occasions", "ci": "level",
    "nfactors": "n_factors", "boot": "n_boot", "omega_boot": "n_boot",
    "rci_criterion": "rci_threshold", "columns": "scores", "flow_score": "scores",
    "time1": "data", "time2": "second_data", "pre_data": "data", "post_data": "second_data",
}
#: CLI options the glossary replaced (they may survive only as hidden aliases).
OLD_OPTIONS = {
    "--ci": "--level", "--boot": "--n-boot", "--nfactors": "--n-factors", "--from": "--occasions",
    "--to": "--occasions", "--times": "--occasions", "--baseline-time": "--occasions",
    "--follow-up-time": "--occasions", "--columns": "--score", "--flow-score": "--score",
}
#: output column names the glossary replaced.
OLD_COLUMNS = {"chi2": "chisq", "p_holm": "p_adj", "pval": "p_val", "p_value": "p_val",
               "p_unc": "p_val"}
#: the only names a second positional argument may have.
SECOND_POSITIONAL = {"instrument", "instruments", "model"}
#: (function, argument) where an old word means something else and stays: the column
#: names of a table (not a subset of scores).
EXEMPT_ARGUMENTS = {("detect_instruments", "columns")}

# ---------------------------------------------------------------------------------------
# Known debts: none since issue #11. Never add one without a comment saying why; the test
# fails on an entry that is no longer needed.

KNOWN_SIGNATURE_DEBTS: set[tuple[str, str]] = set()  # all paid (issue #11)

KNOWN_OPTION_DEBTS: set[tuple[str, str]] = set()  # all paid (issue #11)

KNOWN_COLUMN_DEBTS: set[tuple[str, str]] = set()  # all paid (issue #11)


# ---------------------------------------------------------------------------------------
def _exported_functions() -> dict[str, object]:
    out = {}
    for name in sorted(cs._EXPORTS):
        obj = getattr(cs, name)
        if inspect.isfunction(obj):
            out[name] = obj
    return out


def signature_problems(name: str, func: object) -> set[str]:
    """The glossary rules one exported function breaks, as short labels."""
    problems: set[str] = set()
    params = list(inspect.signature(func).parameters.values())  # type: ignore[arg-type]
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for p in params:
        if p.name in OLD_ARGUMENTS and (name, p.name) not in EXEMPT_ARGUMENTS:
            problems.add(f"old argument {p.name}")
        if p.name == "seed" and p.default != 0:
            problems.add(f"seed default {p.default}")
        if p.name == "level" and p.default != 0.95:
            problems.add(f"level default {p.default}")
        if p.name in ("instrument", "instruments") and str(p.annotation) in ("Any", "'Any'"):
            problems.add(f"{p.name} typed Any")
    for p in positional[2:]:
        problems.add(f"keyword-only after 2: {p.name}")
    if (len(positional) >= 2 and positional[0].name == "data"
            and positional[1].name not in SECOND_POSITIONAL):
        problems.add(f"second positional {positional[1].name}")
    return problems


def test_exported_signatures_follow_the_glossary() -> None:
    funcs = _exported_functions()
    assert len(funcs) > 30, "the exported functions were not found"
    found = {(name, problem) for name, func in funcs.items()
             for problem in signature_problems(name, func)}
    new = found - KNOWN_SIGNATURE_DEBTS
    assert not new, ("signatures break the glossary (docs/development.md): "
                     + "; ".join(f"{n}: {p}" for n, p in sorted(new)))
    paid = KNOWN_SIGNATURE_DEBTS - found
    assert not paid, f"debts paid, delete them from KNOWN_SIGNATURE_DEBTS: {sorted(paid)}"


def _commands() -> dict[str, click.Command]:
    from compassion_scales.cli import COMMANDS

    out: dict[str, click.Command] = {}
    for name, target in COMMANDS.items():
        module, attr = target.split(":")
        cmd = getattr(importlib.import_module(module), attr)
        if isinstance(cmd, click.Group):
            for sub_name, sub in cmd.commands.items():
                out[sub_name if sub_name not in out else f"{name} {sub_name}"] = sub
        else:
            out[name] = cmd
    return out


def test_cli_options_follow_the_glossary() -> None:
    commands = _commands()
    assert len(commands) > 10
    found = set()
    for name, cmd in commands.items():
        for param in cmd.params:
            if isinstance(param, click.Option) and not param.hidden:
                for opt in param.opts:
                    # `--columns compact|all` chooses table columns: not a score subset.
                    table_columns = opt == "--columns" and isinstance(param.type, click.Choice)
                    if opt in OLD_OPTIONS and not table_columns:
                        found.add((name, opt))
    new = found - KNOWN_OPTION_DEBTS
    assert not new, ("CLI options break the glossary: "
                     + "; ".join(f"{n} {o} (say {OLD_OPTIONS[o]})" for n, o in sorted(new)))
    paid = KNOWN_OPTION_DEBTS - found
    assert not paid, f"debts paid, delete them from KNOWN_OPTION_DEBTS: {sorted(paid)}"


def _string_constants(path: Path) -> set[str]:
    _, tree = parsed(path)
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


@pytest.mark.xdist_group("ast")  # parses every module, as test_architecture (testkit.parsed)
def test_output_columns_follow_the_glossary() -> None:
    files = sorted((ROOT / "compassion_scales").rglob("*.py")) + sorted((ROOT / "cli").rglob("*.py"))
    assert len(files) > 20
    found = set()
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        for const in _string_constants(path) & OLD_COLUMNS.keys():
            found.add((rel, const))
    new = found - KNOWN_COLUMN_DEBTS
    assert not new, ("column names break the glossary: "
                     + "; ".join(f"{f}: '{c}' (say '{OLD_COLUMNS[c]}')" for f, c in sorted(new)))
    paid = KNOWN_COLUMN_DEBTS - found
    assert not paid, f"debts paid, delete them from KNOWN_COLUMN_DEBTS: {sorted(paid)}"


@pytest.mark.parametrize("old, new", sorted(OLD_ARGUMENTS.items()))
def test_glossary_documents_every_old_word(old: str, new: str) -> None:
    text = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    glossary = text[text.index("## Glossary"):]
    assert f"`{new}" in glossary and f"`{old}`" in glossary


def _old_call_styles() -> dict[str, tuple[set[str], int]]:
    """Exported function -> (its old keyword names, how many arguments it takes by position)."""
    out = {}
    for name, func in _exported_functions().items():
        renamed = getattr(func, "__renamed_arguments__", None)
        if renamed is None:
            continue
        old = {part for key in renamed if not key.startswith("positional:") for part in key.split("/")}
        params = inspect.signature(func).parameters.values()  # type: ignore[arg-type]
        out[name] = (old, sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params))
    return out


def test_our_own_scripts_call_in_the_current_words() -> None:
    # benchmarks and examples are read as models; an old keyword or an argument passed by
    # position that is now keyword-only prints a FutureWarning in every run of them
    styles = _old_call_styles()
    assert len(styles) > 10, "no function with renamed arguments was found"
    scripts = sorted([*(ROOT / "benchmarks").glob("*.py"), *(ROOT / "examples").rglob("*.py")])
    assert scripts, "no benchmark or example script found"
    found = []
    for path in scripts:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name not in styles:
                continue
            old, n_positional = styles[name]
            where = f"{path.relative_to(ROOT)}:{node.lineno} {name}()"
            found += [f"{where}: {kw.arg}=" for kw in node.keywords if kw.arg in old]
            if len(node.args) > n_positional and not any(isinstance(a, ast.Starred) for a in node.args):
                found.append(f"{where}: {len(node.args)} arguments by position")
            if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and isinstance(
                    node.args[1].value, (int, float)) and not isinstance(node.args[1].value, bool):
                found.append(f"{where}: a number second (give it by name)")
    assert not found, "old call styles: " + "; ".join(found)
