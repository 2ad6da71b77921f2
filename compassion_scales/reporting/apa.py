"""APA-style number formatting and compact table shaping.

Rules (APA 7th edition, section 6.36 and table guidelines):

* p values: three decimals, no leading zero, ``< .001`` below .001 and ``> .999`` above .999;
* quantities that cannot exceed 1 in absolute value (p, r, alpha, omega, CFI, TLI, RMSEA,
  SRMR, loadings, proportions, eta squared) have no leading zero (``.89``, ``-.12``);
* counts and degrees of freedom are integers (``136``, not ``136.000``); fractional degrees of
  freedom (Welch) keep two decimals;
* everything else has two decimals, three for RMSEA/SRMR and p; a value that would
  show as zero at two decimals but is not zero gets three;
* a confidence interval is one cell, ``[lo, hi]``.

Every function here works on the text of a table only: returned DataFrames are never
rounded (see :mod:`compassion_scales._format`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "fmt_p", "fmt_number", "column_kind", "apa_frame", "COMPACT_COLUMNS", "HEADERS",
    "sort_loadings",
]

_P_NAMES = re.compile(r"^(p|p_val|p_adj|p_value|p_diff|p_chisq|pr)$|(^|_)p_(val|adj|value|close|diff)$")
_COUNT_NAMES = re.compile(r"^(n|k|df|df\d|df_\w+|\w+_df\d?|n_\w+|\w+_n|seed|npar|iterations|"
                          r"items|count|n\d|missing_n|rank)$")
_BOUNDED_NAMES = re.compile(
    r"^(r|rho|tau|phi|kmo|msa|cfi|tli|nfi|rmsea|srmr|alpha|omega|lambda6|icc|h2|"
    r"communality|uniqueness|loading|std_all|std_alpha|omega_total|omega_h|omega_sq|eta_sq|"
    r"partial_eta_sq|rank_biserial|cohens_w|proportion\w*|cumulative\w*|prop\w*|"
    r"delta_cfi|delta_rmsea|delta_tli|delta_srmr|sepc_all|ordinal_alpha|"
    r"ordinal_omega|r2|r_squared|adj_r2|glb|mean_r|reliability)$"
    r"|^(r|alpha|omega|loading|factor|rmsea|cfi|tli|srmr|std)_\w+$"
    r"|^\w+_(r|alpha|omega|loading|corr|r2)$|^average_r$|^median_r$|^split_half\w*$"
    r"|^alpha_if_dropped$|^std_alpha_if_dropped$|^[A-Z]*F\d+$|^factor_\d+$|^MR\d+$")
_THREE_DECIMALS = re.compile(r"^(rmsea|srmr)(_\w+)?$|^delta_(cfi|rmsea|tli|srmr)$")
_NON_BOUNDED_OVERRIDES = {"r_total_n", "omega_h_n", "factor", "rmsea_ci_level", "r_id"}


def fmt_p(p: Any) -> str:
    """A p value in APA style.

    Examples
    --------
    >>> [fmt_p(x) for x in (0.0004, 0.001, 0.0234, 0.05, 0.9996, 1.0, float("nan"))]
    ['< .001', '.001', '.023', '.050', '> .999', '> .999', '']
    """
    try:
        x = float(p)
    except (TypeError, ValueError):
        return "" if p is None else str(p)
    if math.isnan(x):
        return ""
    if x < 0.001:
        return "< .001"
    if x > 0.999:
        return "> .999"
    return f"{x:.3f}".lstrip("0")


def _strip_zero(text: str) -> str:
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text


def fmt_number(x: Any, kind: str = "number", decimals: int | None = None) -> str:
    """One number in APA style for its kind (``p``, ``bounded``, ``count``, ``number``).

    ``decimals`` overrides the kind's default (2; 3 for p); a non-zero value that
    would round to zero gets one more decimal.

    Examples
    --------
    >>> fmt_number(0.8953, "bounded"), fmt_number(-0.1234, "bounded"), fmt_number(1.0, "bounded")
    ('.90', '-.12', '1.00')
    >>> fmt_number(136.0, "count"), fmt_number(114.41, "count"), fmt_number(12.345, "number")
    ('136', '114.41', '12.35')
    >>> fmt_number(0.0042, "number"), fmt_number(0.0, "number"), fmt_number(-0.004, "bounded")
    ('0.004', '0.00', '-.004')
    """
    if x is None or x is pd.NA:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, str):
        return x
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if kind == "p":
        return fmt_p(v)
    if kind == "count":
        if v == round(v):
            return f"{int(round(v)):d}"
        return f"{v:.{2 if decimals is None else decimals}f}"
    d = 2 if decimals is None else decimals
    if kind == "bounded3":
        d = 3 if decimals is None else decimals
    text = f"{v:.{d}f}"
    if v != 0 and float(text) == 0 and decimals is None:
        text = f"{v:.{d + 1}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    if kind in ("bounded", "bounded3"):
        text = _strip_zero(text)
    return text


def column_kind(name: str, values: pd.Series | None = None) -> str:
    """The formatting kind of a column from its snake_case name (and values).

    ``p`` (p values), ``bounded`` (|x| <= 1, no leading zero), ``bounded3`` (RMSEA, SRMR:
    three decimals), ``count`` (integers), ``number`` (two decimals) or ``text``.

    Examples
    --------
    >>> [column_kind(c) for c in ("p_val", "np_p_adj", "alpha", "cfi", "rmsea", "n_obs", "df1", "mean")]
    ['p', 'p', 'bounded', 'bounded', 'bounded3', 'count', 'count', 'number']
    """
    n = str(name)
    if values is not None:
        if pd.api.types.is_bool_dtype(values):
            return "text"
        if not pd.api.types.is_numeric_dtype(values):
            nonnull = values.dropna()
            if not len(nonnull) or not all(isinstance(v, (int, float, np.integer, np.floating))
                                           and not isinstance(v, bool) for v in nonnull):
                return "text"
    if _P_NAMES.search(n):
        return "p"
    if n in _NON_BOUNDED_OVERRIDES:
        return "number"
    if _THREE_DECIMALS.search(n):
        return "bounded3"
    if _COUNT_NAMES.match(n):
        return "count"
    if _BOUNDED_NAMES.search(n):
        if values is not None:
            finite = pd.to_numeric(values, errors="coerce").abs()
            if (finite > 1.0000001).any():
                return "number"
        return "bounded"
    if values is not None and pd.api.types.is_integer_dtype(values):
        return "count"
    return "number"


#: readable APA column headers for snake_case result columns
HEADERS: dict[str, str] = {
    "score": "Score", "item": "Item", "group": "Group", "factor": "Factor", "measure": "Measure",
    "value": "Value", "n": "n", "n_obs": "n", "n_items": "k", "k": "k", "alpha": "α",
    "std_alpha": "Std. α", "omega_total": "ω", "omega_h": "ω_h", "boot_ci": "Bootstrap CI",
    "mean": "M", "sd": "SD", "median": "Mdn", "min": "Min", "max": "Max",
    "p_val": "p", "p_adj": "p (adj.)", "np_p_val": "p (rank)", "np_p_adj": "p (rank, adj.)",
    "statistic": "Statistic", "test": "Test", "df": "df", "df1": "df1", "df2": "df2",
    "mean_diff": "M diff.", "g": "g", "d": "d", "eta_sq": "η²", "omega_sq": "ω²",
    "r_drop": "r (item-rest)", "r_total": "r (item-total)", "alpha_if_dropped": "α if dropped",
    "loading_1f": "Loading", "communality": "h²", "uniqueness": "u²", "complexity": "Complexity",
    "chisq": "χ²", "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA", "srmr": "SRMR",
    "aic": "AIC", "bic": "BIC", "keying_flag": "Keying flag", "key": "Key",
    "split_half_sb": "Split-half", "lambda6": "λ6", "std_all": "β", "se": "SE", "est": "B",
    "std_se": "SE (β)", "ss_loadings": "SS loadings", "proportion_var": "Prop. var.",
    "cumulative_var": "Cum. var.", "proportion_explained": "Prop. explained",
    "rank_biserial": "r (rank-biserial)", "t": "t", "group_1": "Group 1", "group_2": "Group 2",
    "n_1": "n1", "n_2": "n2", "chisq_diff": "Δχ²", "df_diff": "Δdf", "p_diff": "p (Δχ²)",
    "delta_cfi": "ΔCFI", "delta_rmsea": "ΔRMSEA", "holds": "Holds", "step": "Step",
    "equal": "Equal across groups", "icc": "ICC", "r": "r", "label": "Label",
    "floor": "Floor", "ceiling": "Ceiling", "pct_missing": "% missing", "omega": "ω",
    "adj": "Adj.", "unadj": "Unadj.", "arm": "Arm", "reference": "Reference", "n_arm": "n arm", "n_reference": "n ref.",
    "adj_diff": "Adj. diff.", "adj_p_val": "p", "smd": "SMD", "unadj_diff": "Unadj. diff.",
    "unadj_p_val": "p (unadj.)", "published_alpha": "Published α", "higher_is": "Higher is", "n_pairs": "n pairs",
    "sd_source": "SD source", "reliability_source": "Reliability source", "cutoff": "Cut-off",
    "rc_threshold": "Reliable change >", "norms_source": "Norms", "reliability": "Reliability", "factor_a": "Factor", "factor_b": "with factor", "se_r": "SE", "rows": "Rows", "scored": "Scored", "complete": "Complete",
    "prorated": "Prorated", "rule": "Missing-data rule", "classification": "Classification",
    "category": "Category", "percent": "%", "term": "Term",
    "bf10": "BF₁₀",
}

#: compact column sets per table (result class name or table title); ``--columns all``
#: shows every column. Columns absent from a table are ignored.
COMPACT_COLUMNS: dict[str, list[str]] = {
    "ReliabilityResult": ["score", "group", "n_obs", "n_items", "alpha", "ci_low", "ci_high",
                          "omega_total", "omega_h", "ordinal_alpha", "ordinal_omega"],
    "Items": ["score", "item", "key", "n", "mean", "sd", "r_drop", "alpha_if_dropped",
              "loading_1f", "keying_flag"],
    "ComparisonResult": ["score", "n", "test", "statistic", "df1", "df2", "p_val", "p_adj",
                         "g", "g_ci_low", "g_ci_high", "bf10", "eta_sq", "eta_sq_ci_low", "eta_sq_ci_high",
                         "omega_sq"],
    "Group descriptives": ["score", "group", "n", "mean", "sd", "ci_low", "ci_high"],
    "Pairwise comparisons": ["score", "group_1", "group_2", "mean_diff", "t", "df", "p_val",
                             "p_adj", "g", "g_ci_low", "g_ci_high"],
    "EFAResult": ["item", "factor_*", "communality"],
    "RetestResult": ["score", "n", "icc", "icc_ci_low", "icc_ci_high", "r", "p_val"],
}

_VERBOSE = {"seed", "n_boot", "ase", "signal_noise", "median_r", "n_factors", "n_incomplete",
            "std_alpha_if_dropped", "r_total_std", "np_statistic"}


def _select(df: pd.DataFrame, wanted: Sequence[str]) -> list[str]:
    out: list[str] = []
    for w in wanted:
        if w.endswith("*"):
            out += [c for c in df.columns if str(c).startswith(w[:-1]) and c not in out]
        elif w in df.columns and w not in out:
            out.append(w)
    return out


def _ci_pairs(columns: Sequence[str]) -> list[tuple[str, str, str]]:
    """(prefix, low column, high column) for every ``*ci_low``/``*ci_high`` pair."""
    pairs = []
    cols = [str(c) for c in columns]
    for c in cols:
        if c.endswith("ci_low"):
            prefix = c[: -len("ci_low")]
            hi = prefix + "ci_high"
            if hi in cols:
                pairs.append((prefix.rstrip("_"), c, hi))
    return pairs


def _ci_estimate(prefix: str, low: str, cols: list[str]) -> str | None:
    if prefix and prefix != "boot" and prefix in cols:
        return prefix
    if prefix == "boot" and "ci_low" in cols:
        low = "ci_low"
    i = cols.index(low)
    return cols[i - 1] if i > 0 else None


def sort_loadings(loadings: pd.DataFrame, factors: Sequence[str] | None = None,
                  cut: float | None = None) -> pd.DataFrame:
    """Loadings sorted by factor (items grouped under their largest loading, largest first).

    ``cut`` blanks (sets to NaN) loadings whose absolute value is below it.

    Examples
    --------
    >>> df = pd.DataFrame({"item": ["a", "b", "c"], "factor_1": [0.1, 0.8, 0.5],
    ...                    "factor_2": [0.7, 0.05, 0.2]})
    >>> sort_loadings(df, cut=0.3)["item"].tolist()
    ['b', 'c', 'a']
    >>> sort_loadings(df, cut=0.3)["factor_2"].isna().tolist()
    [True, True, False]
    """
    fac = list(factors) if factors is not None else [c for c in loadings.columns
                                                     if str(c).startswith("factor_")]
    if not fac:
        return loadings
    mat = loadings[fac].abs().to_numpy(dtype=float)
    main = np.nanargmax(np.where(np.isnan(mat), -1, mat), axis=1)
    size = mat[np.arange(len(mat)), main]
    order = np.lexsort((-size, main))
    out = loadings.iloc[order].reset_index(drop=True)
    if cut is not None:
        out = out.copy()
        for c in fac:
            out[c] = out[c].where(out[c].abs() >= cut)
    return out


def _fmt_text(v: Any) -> str:
    """A cell of a text column: empty for missing, yes/no for booleans, else ``str``."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    return fmt_number(v) if isinstance(v, (bool, np.bool_)) else str(v)


def _per_distinct(values: pd.Series, fmt: Callable[[Any], str]) -> list[str]:
    """``[fmt(v) for v in values]``, calling ``fmt`` once per distinct value of a numeric or
    string column (a person table repeats few values; 90,000 rows took 1 s cell by cell).

    Missing cells get ``fmt(None)``; ``fmt`` must give a missing value (None, NaN, NA) the
    same text whatever its kind, as :func:`fmt_number` and :func:`_fmt_text` do. Other
    dtypes (object, booleans, categories), and float columns holding -0.0 (which factorizes
    with 0.0 but may print differently), are formatted cell by cell.

    Examples
    --------
    >>> _per_distinct(pd.Series([0.5, float("nan"), 0.5]), lambda v: fmt_number(v, "bounded"))
    ['.50', '', '.50']
    """
    dtype = values.dtype
    if not ((isinstance(dtype, np.dtype) and dtype.kind in "fiu")
            or (pd.api.types.is_string_dtype(dtype) and not (isinstance(dtype, np.dtype) and dtype.kind == "O"))):
        return [fmt(v) for v in values]
    if dtype.kind == "f":
        x = values.to_numpy()
        if np.any((x == 0) & np.signbit(x)):  # -0.0 and 0.0 are one value to factorize
            return [fmt(v) for v in values]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    shown = np.array([fmt(u) for u in uniques] + [fmt(None)], dtype=object)
    return list(shown[codes])


def apa_frame(df: pd.DataFrame, table: str | None = None, columns: str = "compact",
              decimals: int | None = None, ci_label: str = "CI",
              headers: bool = True) -> pd.DataFrame:
    """``df`` as a table of APA-formatted strings (CIs merged into ``[lo, hi]`` cells).

    Parameters
    ----------
    df : DataFrame
        A result table (numbers unrounded).
    table : str, optional
        Key into :data:`COMPACT_COLUMNS` (a result class name or a table title).
    columns : {"compact", "all"}
        ``compact``: the table's compact set (or, for other tables, every column except
        bookkeeping ones and columns with no values); ``all``: every column.
    decimals : int, optional
        Override the default decimals (2, or 3 where needed).
    ci_label : str
        Header of merged CI columns (e.g. ``"95% CI"``).
    headers : bool
        Rename columns to readable APA headers.

    Examples
    --------
    >>> df = pd.DataFrame({"score": ["a"], "n_obs": [136.0], "alpha": [0.8953],
    ...                    "ci_low": [0.87], "ci_high": [0.912], "p_val": [0.0002]})
    >>> apa_frame(df, ci_label="95% CI").iloc[0].tolist()
    ['a', '136', '.90', '[.87, .91]', '< .001']
    >>> list(apa_frame(df, ci_label="95% CI").columns)
    ['Score', 'n', 'α', '95% CI', 'p']
    """
    cols = [str(c) for c in df.columns]
    frame = df.copy()
    frame.columns = cols
    if columns == "compact":
        keep = _select(frame, COMPACT_COLUMNS[table]) if table in COMPACT_COLUMNS else \
            [c for c in cols if c not in _VERBOSE]
        keep = [c for c in keep if frame[c].notna().any() or c in ("score", "item")]
        if keep:
            frame = frame[keep]
            cols = keep
    # long tables ("measure"/"value"): the kind of each value comes from its row's measure
    long_key = next((k for k in ("measure", "statistic_name", "coefficient") if k in cols), None)
    out: dict[str, list[str]] = {}
    kinds: dict[str, str] = {c: column_kind(c, frame[c]) for c in cols}
    pairs = {low: (prefix, hi) for prefix, low, hi in _ci_pairs(cols)}
    skip = {hi for _p, hi in pairs.values()}
    for c in cols:
        if c in skip:
            continue
        if c in pairs:
            prefix, hi = pairs[c]
            est = _ci_estimate(prefix, c, cols)
            kind = kinds.get(est, "number") if est else "number"
            if kind in ("count", "p", "text"):
                kind = "number"
            lo_s = frame[c].map(lambda v, k=kind: fmt_number(v, k, decimals))
            hi_s = frame[hi].map(lambda v, k=kind: fmt_number(v, k, decimals))
            name = f"{prefix}_ci" if prefix else "ci"
            out[name] = [f"[{a}, {b}]" if a and b else "" for a, b in zip(lo_s, hi_s, strict=True)]
            continue
        kind = kinds[c]
        if kind == "text":
            out[c] = _per_distinct(frame[c], _fmt_text)
        elif long_key is not None and c == "value":
            out[c] = [fmt_number(v, column_kind(str(m)), decimals)
                      for m, v in zip(frame[long_key], frame[c], strict=True)]
        else:
            out[c] = _per_distinct(frame[c], partial(fmt_number, kind=kind, decimals=decimals))
    result = pd.DataFrame(out, index=frame.index)
    if headers:
        def head(c: str) -> str:
            if c.endswith("_ci") or c == "ci":
                p = c[:-3] if c != "ci" else ""
                base = HEADERS.get(p, p.replace("_", " ")) if p and p != "boot" else ""
                lab = ("Bootstrap " if p == "boot" else "") + ci_label
                return f"{base} {lab}".strip() if base else lab
            m = re.match(r"^factor_(\d+)$", c)
            if m:
                return f"F{m.group(1)}"
            return HEADERS.get(c, c.replace("_", " "))
        result.columns = [head(c) for c in result.columns]
    return result


_NUMBER_START = re.compile(r"^[<>\[\-−.\d∞ ]")
_LETTER = re.compile(r"[A-Za-z]")


def numeric_columns(formatted: pd.DataFrame, original: pd.DataFrame | None = None) -> list[bool]:
    """Which formatted columns hold numbers (right-aligned in every output)."""
    flags = []
    for j in range(formatted.shape[1]):
        # each distinct cell once: a long table repeats its formatted numbers
        vals = {v for v in formatted.iloc[:, j].tolist() if v}
        flags.append(bool(vals) and all(_NUMBER_START.match(v) and not _LETTER.search(v) for v in vals))
    return flags
