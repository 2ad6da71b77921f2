"""Exploratory factor analysis: suitability (KMO, Bartlett), number of factors
(parallel analysis, scree plot) and extraction with rotation.

Everything is computed on a correlation matrix that this module builds itself
(Pearson, pairwise or listwise deletion, stated in every result), so no library
ever imputes missing answers silently. Extraction (minres, maximum likelihood,
principal axis) is :mod:`compassion_scales.stats.extraction` and rotation
:func:`compassion_scales.stats.rotation.rotate` (GPArotation's algorithms), the kernels
``omega`` uses too.

Conventions follow ``psych::fa`` (R): unrotated factors are signed so that each
column sums to a positive number, rotated factors are signed the same way and
sorted by the variance they explain; communalities are ``diag(L L')`` of the
unrotated solution and uniquenesses ``1 - communality``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compassion_scales._compat import number_second, renamed_arguments
from compassion_scales._inputs import InputOptions
from compassion_scales.analyses.correlations import item_matrix
from compassion_scales.errors import (
    AnalysisError,
    ConvergenceWarning,
    HeywoodCaseWarning,
    PsychometricWarning,
    SkippedScoreWarning,
)
from compassion_scales.results import ResultMixin
from compassion_scales.stats.correlation import cor_smooth, pairwise_cor_n
from compassion_scales.stats.extraction import METHODS, PSI_LOWER, FactorFit, extract, fit_pa
from compassion_scales.stats.rotation import ROTATIONS, rotate
from compassion_scales.stats.threads import single_thread_blas

if TYPE_CHECKING:  # pragma: no cover
    from compassion_scales.instrument import Instrument

__all__ = [
    "efa",
    "parallel_analysis",
    "kmo",
    "bartlett",
    "correlation_matrix",
    "scree_plot",
    "EFAResult",
    "ParallelAnalysisResult",
    "KMOResult",
    "BartlettResult",
    "HeywoodCaseWarning",
    "CorrelationInputWarning",
    "METHODS",
    "ROTATIONS",
]



class CorrelationInputWarning(PsychometricWarning):
    """A correlation matrix was given whose row names differ from its column names."""


#: psych/GPArotation spellings accepted as aliases
_ROTATION_ALIASES = {"geominq": "geomin_obl", "geomint": "geomin_ort", "geomin": "geomin_obl"}
_METHOD_LABELS = {"minres": "minimum residual (minres, unweighted least squares)",
                  "ml": "maximum likelihood", "pa": "principal axis (iterated)"}


# --------------------------------------------------------------------------- data

@dataclass(frozen=True)
class _Prepared:
    corr: np.ndarray
    labels: list[str]
    n_obs: int | None
    missing: str
    input_kind: str  # "responses" or "correlation"
    data: np.ndarray | None  # complete-case or raw item matrix used for the correlations
    n_rows_total: int | None
    pair_n_min: int | None
    pair_n_max: int | None
    #: pairwise counts (items x items) when answers were given, else None
    pair_counts: np.ndarray | None = None

    def missing_note(self) -> str:
        if self.input_kind == "correlation":
            n = f"n = {self.n_obs}" if self.n_obs is not None else "n not given"
            return f"Input: a correlation matrix ({n}); no missing-data handling applied."
        if self.missing == "listwise":
            dropped = (self.n_rows_total or 0) - (self.n_obs or 0)
            return (f"Missing answers: listwise deletion, {self.n_obs} of {self.n_rows_total} cases "
                    f"used ({dropped} dropped); Pearson correlations.")
        return (f"Missing answers: pairwise deletion (Pearson correlations on each pair's complete "
                f"cases, n per pair {self.pair_n_min}-{self.pair_n_max}); n_obs = {self.n_obs} "
                "cases with at least one answer.")


def _looks_like_corr(df: pd.DataFrame) -> bool:
    """A correlation matrix is recognised by its values: square, numeric, symmetric, unit
    diagonal, entries within [-1, 1] (names are not required to match; see ``_prepare``)."""
    if df.shape[0] != df.shape[1] or df.shape[0] < 2:
        return False
    try:
        a = df.to_numpy(dtype=float)
    except (TypeError, ValueError):
        return False
    if not np.isfinite(a).all() or np.abs(a).max() > 1 + 1e-8:
        return False
    return bool(np.allclose(a, a.T, atol=1e-8) and np.allclose(np.diag(a), 1.0, atol=1e-8))


def _item_frame(data: Any, items: list[str] | None, instrument: str | Instrument | None,
                score: str | None, options: InputOptions | None = None) -> pd.DataFrame:
    if instrument is not None:
        from compassion_scales._inputs import item_set

        iset = item_set(data, instrument, scores=[score] if score else None, options=options)
        for note in iset.notes():
            warnings.warn(note, SkippedScoreWarning, stacklevel=3)
        frame = iset.items(score)
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        arr, names = item_matrix(data)
        frame = pd.DataFrame(arr, columns=names)
    if instrument is None and isinstance(data, pd.DataFrame):
        from compassion_scales._inputs import numeric_columns

        frame = numeric_columns(frame, [c for c in (items or frame.columns) if c in frame.columns],
                                what="item column")
    if items is not None:
        items = list(items)
        unknown = [c for c in items if c not in frame.columns]
        if unknown:
            raise AnalysisError(
                f"Item(s) not found in the data: {', '.join(map(str, unknown))}. "
                f"Available columns: {', '.join(map(str, frame.columns[:30]))}"
                + (" ..." if frame.shape[1] > 30 else "") + ". Check the spelling of --items.")
        frame = frame[items]
    return frame


def correlation_matrix(data: Any, *, missing: str = "pairwise", items: list[str] | None = None,
                       instrument: str | Instrument | None = None, score: str | None = None,
        column_map: Mapping[str, str] | None = None,
        patterns: Mapping[str, str] | Sequence[str] | str | None = None,
        on_invalid: str = "error",
                       n_obs: int | None = None) -> pd.DataFrame:
    """Pearson correlation matrix of the items, computed the way every function here does.

    Parameters
    ----------
    data : DataFrame
        Item answers (rows = people, columns = items; NaN = missing), or a correlation
        matrix (square, symmetric, unit diagonal, index equal to columns).
    missing : {"pairwise", "listwise"}
        Pairwise: each correlation uses the cases that answered both items (as R's
        ``cor(use="pairwise")``). Listwise: only cases that answered every item.
    items : list of str, optional
        Columns to use (default: all).
    instrument, score : optional
        An instrument id (or :class:`~compassion_scales.instrument.Instrument`) and a score
        id: items are taken from the instrument, validated and reverse-keyed.
    n_obs : int, optional
        Sample size, when ``data`` is a correlation matrix.

    Returns
    -------
    DataFrame
        Items x items correlations, labelled by item id.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, None], "b": [2, 1, 4, 3, 5]})
    >>> correlation_matrix(df).round(2)
         a    b
    a  1.0  0.6
    b  0.6  1.0
    """
    prep = _prepare(data, missing=missing, items=items, instrument=instrument, score=score,
                    input_options=InputOptions.of(column_map, patterns, on_invalid),
                    n_obs=n_obs)
    return pd.DataFrame(prep.corr, index=prep.labels, columns=prep.labels)


def _prepare(data: Any, *, missing: str = "pairwise", items: list[str] | None = None,
             instrument: str | Instrument | None = None, score: str | None = None,
             n_obs: int | None = None, min_items: int = 2,
             input_options: InputOptions | None = None) -> _Prepared:
    if missing not in ("pairwise", "listwise"):
        raise AnalysisError(f"Unknown missing-data handling {missing!r}: use 'pairwise' or 'listwise'.")
    frame = _item_frame(data, items, instrument, score, input_options)
    labels = [str(c) for c in frame.columns]
    if instrument is None and isinstance(frame, pd.DataFrame) and _looks_like_corr(frame):
        corr = frame.to_numpy(dtype=float)
        rows = [str(i) for i in frame.index]
        if rows != labels and not isinstance(frame.index, pd.RangeIndex):
            warnings.warn(
                "The data look like a correlation matrix (square, symmetric, ones on the "
                "diagonal) and are analysed as one, but its row names differ from its column "
                f"names ({', '.join(rows[:3])}... vs {', '.join(labels[:3])}...); the column "
                "names are used. Check that rows and columns are in the same order.",
                CorrelationInputWarning, stacklevel=3)
        if n_obs is not None and n_obs < 2:
            raise AnalysisError(f"n_obs must be at least 2 (got {n_obs}).")
        return _Prepared(corr=corr, labels=labels, n_obs=n_obs, missing="none",
                         input_kind="correlation", data=None, n_rows_total=None,
                         pair_n_min=None, pair_n_max=None)
    if len(labels) < min_items:
        raise AnalysisError(f"Factor analysis needs at least {min_items} items; got {len(labels)}.")
    x = item_matrix(frame)[0]
    answered = ~np.isnan(x).all(axis=1)
    x = x[answered]
    n_total = int(answered.sum())
    if missing == "listwise":
        x = x[~np.isnan(x).any(axis=1)]
    n = x.shape[0]
    if n < 3:
        raise AnalysisError(
            f"Only {n} case(s) remain after {missing} deletion of missing answers; factor analysis "
            "needs many more (as a rule of thumb, at least 5-10 per item)."
            + (" Try --missing pairwise." if missing == "listwise" else ""))
    sd = np.nanstd(x, axis=0)
    flat = [lab for lab, s in zip(labels, sd, strict=True) if not s > 0]
    if flat:
        raise AnalysisError(
            f"Item(s) {', '.join(flat)} have the same answer from everyone (no variance), so "
            "their correlations are undefined. Leave them out with --items.")
    corr, counts = pairwise_cor_n(x)
    if not np.isfinite(corr).all():
        i, j = np.argwhere(~np.isfinite(corr))[0]
        raise AnalysisError(
            f"The correlation between {labels[i]} and {labels[j]} cannot be computed (too few "
            f"people answered both: {int(counts[i, j])}). Leave one of them out, or use "
            "--missing listwise.")
    off = counts[~np.eye(len(labels), dtype=bool)]
    return _Prepared(corr=corr, labels=labels, n_obs=n if missing == "listwise" else n_total,
                     missing=missing, input_kind="responses", data=x, n_rows_total=n_total,
                     pair_n_min=int(off.min()), pair_n_max=int(off.max()), pair_counts=counts)


# --------------------------------------------------------------------------- suitability

@dataclass(frozen=True, repr=False)
class KMOResult(ResultMixin):
    """Kaiser-Meyer-Olkin measure of sampling adequacy (overall and per item).

    Attributes
    ----------
    overall : float
        Overall MSA.
    per_item : Series
        MSA of each item, indexed by item id.
    n_obs : int or None
    missing : str
        ``"pairwise"``, ``"listwise"`` or ``"none"`` (correlation matrix given).
    """

    overall: float
    per_item: pd.Series
    n_obs: int | None
    missing: str
    missing_note: str
    _title: str = field(default="Kaiser-Meyer-Olkin measure of sampling adequacy", init=False)

    @property
    def summary(self) -> pd.DataFrame:
        rows = [("overall", self.overall)] + list(self.per_item.items())
        df = pd.DataFrame(rows, columns=["item", "msa"])
        df["adequacy"] = [_kaiser_label(v) for v in df["msa"]]
        return df

    def _notes(self) -> list[str]:
        return ["MSA = sum r^2 / (sum r^2 + sum partial r^2) over item pairs (Kaiser 1974; "
                "as psych::KMO). Labels: Kaiser & Rice (1974), .90 marvelous ... <.50 "
                "unacceptable.", self.missing_note]


def _singular(r: np.ndarray) -> bool:
    """True when ``r`` is singular to working precision: its reciprocal condition number (1-norm)
    is below machine epsilon, the test of R's ``solve()`` ("system is computationally singular").

    Examples
    --------
    >>> _singular(np.array([[1.0, 1.0], [1.0, 1.0]])), _singular(np.eye(2))
    (True, False)
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.linalg.cond(r, 1)
    return bool(not np.isfinite(cond) or 1.0 / cond < np.finfo(float).eps)


def _kaiser_label(v: float) -> str:
    for cut, label in ((0.9, "marvelous"), (0.8, "meritorious"), (0.7, "middling"),
                       (0.6, "mediocre"), (0.5, "miserable")):
        if v >= cut:
            return label
    return "unacceptable"


def kmo(data: Any, *, missing: str = "pairwise", items: list[str] | None = None,
        instrument: str | Instrument | None = None, score: str | None = None,
        column_map: Mapping[str, str] | None = None,
        patterns: Mapping[str, str] | Sequence[str] | str | None = None,
        on_invalid: str = "error") -> KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item.

    Parameters
    ----------
    data : DataFrame
        Item answers (NaN = missing) or a correlation matrix.
    missing : {"pairwise", "listwise"}
        How missing answers enter the correlation matrix (stated in the result).
    items, instrument, score : optional
        Which items to use (see :func:`correlation_matrix`).

    Returns
    -------
    KMOResult

    Raises
    ------
    AnalysisError
        If the correlation matrix is singular (for example, an item is a copy or a sum of
        others).

    Notes
    -----
    With partial correlations :math:`q_{ij}` from the inverse correlation matrix,
    :math:`MSA = \\sum_{i \\ne j} r_{ij}^2 / (\\sum_{i \\ne j} r_{ij}^2 + \\sum_{i \\ne j} q_{ij}^2)`;
    per item the sums run over one column. Equals ``psych::KMO``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> df = pd.DataFrame(f + rng.normal(size=(300, 4)), columns=list("abcd"))
    >>> res = kmo(df)   # psych::KMO(df)
    >>> 0.5 < res.overall < 1
    True
    """
    prep = _prepare(data, missing=missing, items=items, instrument=instrument, score=score,
                    input_options=InputOptions.of(column_map, patterns, on_invalid))
    r = prep.corr
    try:
        if _singular(r):  # as R's solve(): a reciprocal condition number below machine epsilon
            raise np.linalg.LinAlgError
        q = np.linalg.inv(r)
    except np.linalg.LinAlgError:
        raise AnalysisError(
            "The correlation matrix is singular (some items are exact combinations of others), "
            "so KMO cannot be computed. Remove duplicated or total-score columns.") from None
    d = 1.0 / np.sqrt(np.diag(q))
    partial = q * np.outer(d, d)
    off = ~np.eye(len(r), dtype=bool)
    r2 = np.where(off, r, 0.0) ** 2
    q2 = np.where(off, partial, 0.0) ** 2
    overall = float(r2.sum() / (r2.sum() + q2.sum()))
    per = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    return KMOResult(overall=overall, per_item=pd.Series(per, index=prep.labels, name="msa"),
                     n_obs=prep.n_obs, missing=prep.missing, missing_note=prep.missing_note())


@dataclass(frozen=True, repr=False)
class BartlettResult(ResultMixin):
    """Bartlett's test that the correlation matrix is an identity matrix.

    Attributes
    ----------
    chisq, df, p_val : float
    n_obs, n_items : int
    missing : str
    """

    chisq: float
    df: int
    p_val: float
    n_obs: int
    n_items: int
    missing: str
    missing_note: str
    _title: str = field(default="Bartlett's test of sphericity", init=False)

    @property
    def chi2(self) -> float:
        """Old name of :attr:`chisq` (until 1.0)."""
        warnings.warn("BartlettResult.chi2 is now called chisq; chi2 will stop working in "
                      "version 1.0.", FutureWarning, stacklevel=2)
        return self.chisq

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{"chisq": self.chisq, "df": self.df, "p_val": self.p_val,
                              "n_obs": self.n_obs, "n_items": self.n_items,
                              "missing": self.missing}])

    def _notes(self) -> list[str]:
        return ["chisq = -(n - 1 - (2p + 5)/6) ln|R|, df = p(p - 1)/2 (Bartlett 1951; as "
                "psych::cortest.bartlett). A small p says the items correlate enough to factor.",
                self.missing_note]


def bartlett(data: Any, *, missing: str = "pairwise", items: list[str] | None = None,
             instrument: str | Instrument | None = None, score: str | None = None,
        column_map: Mapping[str, str] | None = None,
        patterns: Mapping[str, str] | Sequence[str] | str | None = None,
        on_invalid: str = "error",
             n_obs: int | None = None) -> BartlettResult:
    """Bartlett's test of sphericity on the items' correlation matrix.

    Parameters
    ----------
    data : DataFrame
        Item answers (NaN = missing) or a correlation matrix (then ``n_obs`` is required).
    missing : {"pairwise", "listwise"}
        How missing answers enter the correlation matrix. With pairwise deletion ``n`` is
        the number of cases with at least one answer: rows where every item is missing are
        dropped and not counted. ``psych::cortest.bartlett`` on raw data counts them
        (``n = nrow(x)``), so its chi-square differs when such rows exist. With listwise
        deletion ``n`` is the number of complete cases. The result states which.
    items, instrument, score : optional
        Which items to use (see :func:`correlation_matrix`).
    n_obs : int, optional
        Sample size when ``data`` is a correlation matrix.

    Returns
    -------
    BartlettResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> df = pd.DataFrame(f + rng.normal(size=(300, 4)), columns=list("abcd"))
    >>> res = bartlett(df)   # psych::cortest.bartlett(df)
    >>> res.df, res.p_val < 0.001
    (6, True)
    """
    from compassion_scales.stats.distributions import chi2

    prep = _prepare(data, missing=missing, items=items, instrument=instrument, score=score,
                    input_options=InputOptions.of(column_map, patterns, on_invalid),
                    n_obs=n_obs)
    if prep.n_obs is None:
        raise AnalysisError("Bartlett's test on a correlation matrix needs the sample size: "
                            "pass n_obs=.")
    p = len(prep.labels)
    sign, logdet = np.linalg.slogdet(prep.corr)
    if sign <= 0 or _singular(prep.corr):
        raise AnalysisError(
            "The correlation matrix is not positive definite (singular, or made inconsistent by "
            "pairwise deletion), so Bartlett's test cannot be computed. Try --missing listwise or "
            "remove redundant items.")
    n = prep.n_obs
    chisq = float(-(n - 1 - (2 * p + 5) / 6) * logdet)
    df = p * (p - 1) // 2
    return BartlettResult(chisq=chisq, df=int(df), p_val=float(chi2.sf(chisq, df)), n_obs=int(n),
                          n_items=p, missing=prep.missing, missing_note=prep.missing_note())


# --------------------------------------------------------------------------- extraction

def _resolve_rotation(rotation: str | None) -> str:
    name = "none" if rotation is None else str(rotation).strip().lower()
    name = _ROTATION_ALIASES.get(name, name)
    if name not in ROTATIONS:
        raise AnalysisError(f"Unknown rotation {rotation!r}. Choose one of: "
                            f"{', '.join(ROTATIONS)}.")
    return name


def _col_signs(lam: np.ndarray) -> np.ndarray:
    s = np.sign(lam.sum(axis=0))
    s[s == 0] = 1.0
    return s


# --------------------------------------------------------------------------- parallel analysis

@dataclass(frozen=True, repr=False)
class ParallelAnalysisResult(ResultMixin):
    """Horn's parallel analysis (as ``psych::fa.parallel``).

    Attributes
    ----------
    eigenvalues : DataFrame
        One row per factor/component number: ``observed_pc`` (eigenvalues of the correlation
        matrix), ``observed_fa`` (eigenvalues of the reduced matrix of a one-factor solution),
        and the mean and quantile of the same values over random data.
    n_factors, n_components : int or None
        Leading eigenvalues above the random-data quantile (None if not computed).
    n_iter, quantile, seed, method, kind, reference, n_obs, missing : settings used.
    """

    eigenvalues: pd.DataFrame
    n_factors: int | None
    n_components: int | None
    n_iter: int
    quantile: float
    seed: int | None
    method: str
    kind: str
    reference: str
    n_obs: int
    missing_note: str
    _title: str = field(default="Parallel analysis", init=False)

    @property
    def summary(self) -> pd.DataFrame:
        return self.eigenvalues

    def _notes(self) -> list[str]:
        ref = ("normally distributed random data of the same size" if self.reference == "simulate"
               else "resampled data (each item's answers shuffled independently)")
        lines = [f"Random comparison: {self.n_iter} iterations of {ref}, n = {self.n_obs}; "
                 f"threshold = {self.quantile:g} quantile; seed = {self.seed}.",
                 f"Factor eigenvalues from a one-factor {self.method} solution (psych::fa.parallel "
                 "convention)."]
        if self.n_factors is not None:
            lines.append(f"Parallel analysis suggests {self.n_factors} factor(s).")
        if self.n_components is not None:
            lines.append(f"Parallel analysis suggests {self.n_components} component(s).")
        lines.append(self.missing_note)
        return lines

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        return {"n_factors": self.n_factors, "n_components": self.n_components,
                "n_iter": self.n_iter, "quantile": self.quantile, "seed": self.seed,
                "method": self.method, "kind": self.kind, "reference": self.reference,
                "n_obs": self.n_obs, "eigenvalues": to_jsonable(self.eigenvalues),
                "notes": self._notes()}

    def plot(self, path: str | Path) -> Path:
        """Save a scree plot with the random-data thresholds (PNG or SVG)."""
        return scree_plot(self, path)


def _fa_values(r: np.ndarray, method: str, smc: bool = True) -> np.ndarray:
    """Eigenvalues of r with communalities of a one-factor solution on the diagonal."""
    fit = fit_pa(r, 1, smc_start=smc) if method == "pa" else extract(r, 1, method)
    s = r.copy()
    np.fill_diagonal(s, np.sum(fit.loadings**2, axis=1))
    return np.linalg.eigvalsh(s)[::-1]


def _count_above(observed: np.ndarray, threshold: np.ndarray) -> int:
    below = np.flatnonzero(~(observed > threshold))
    return int(below[0]) if below.size else len(observed)


def _parallel(prep: _Prepared, *, n_iter: int, quantile: float, seed: int | None, method: str,
              kind: str, reference: str, progress: bool = False) -> ParallelAnalysisResult:
    with single_thread_blas():
        return _parallel_impl(prep, n_iter=n_iter, quantile=quantile, seed=seed, method=method,
                              kind=kind, reference=reference, progress=progress)


def _check_parallel(prep: _Prepared, *, n_iter: int, quantile: float, method: str, kind: str,
                    reference: str) -> None:
    if kind not in ("both", "fa", "pc"):
        raise AnalysisError(f"Unknown kind {kind!r}: use 'both', 'fa' or 'pc'.")
    if reference not in ("simulate", "resample"):
        raise AnalysisError(f"Unknown reference {reference!r}: use 'simulate' or 'resample'.")
    if method not in METHODS:
        raise AnalysisError(f"Unknown method {method!r}: use one of {', '.join(METHODS)}.")
    if not (0 < quantile < 1):
        raise AnalysisError(f"quantile must be between 0 and 1 (got {quantile}).")
    if n_iter < 1:
        raise AnalysisError(f"n_iter must be at least 1 (got {n_iter}).")
    if prep.n_obs is None:
        raise AnalysisError("Parallel analysis on a correlation matrix needs the sample size: "
                            "pass n_obs=.")
    if reference == "resample" and prep.data is None:
        raise AnalysisError("Resampling needs the raw answers, not a correlation matrix; use "
                            "reference='simulate'.")


def _random_corr(rng: np.random.Generator, prep: _Prepared, reference: str, n: int,
                 p: int) -> np.ndarray:
    """One random data set's correlation matrix: normal data, or each item resampled."""
    if reference == "simulate":
        x = rng.standard_normal((n, p))
        xc = x - x.mean(axis=0)
        c = xc.T @ xc
        d = 1.0 / np.sqrt(np.diag(c))
        return c * np.outer(d, d)
    src = prep.data if prep.data is not None else np.empty((0, p))
    idx = rng.integers(0, src.shape[0], size=src.shape)
    r, _ = pairwise_cor_n(np.take_along_axis(src, idx, axis=0))
    np.fill_diagonal(r, 1.0)
    return r


def _parallel_impl(prep: _Prepared, *, n_iter: int, quantile: float, seed: int | None,
                   method: str, kind: str, reference: str,
                   progress: bool = False) -> ParallelAnalysisResult:
    _check_parallel(prep, n_iter=n_iter, quantile=quantile, method=method, kind=kind,
                    reference=reference)
    p = len(prep.labels)
    n = int(prep.n_obs or 0)
    rng = np.random.default_rng(seed)
    do_fa = kind in ("both", "fa")
    do_pc = kind in ("both", "pc")
    sim_pc = np.empty((n_iter, p))
    sim_fa = np.empty((n_iter, p))
    from compassion_scales.progress_bars import bar

    for it in bar(range(n_iter), desc="parallel analysis", progress=progress):
        r = _random_corr(rng, prep, reference, n, p)
        if do_pc:
            sim_pc[it] = np.linalg.eigvalsh(r)[::-1]
        if do_fa:
            sim_fa[it] = _fa_values(r, method, smc=False)
    obs_pc = np.linalg.eigvalsh(prep.corr)[::-1]
    out: dict[str, Any] = {"number": np.arange(1, p + 1)}
    n_factors = n_components = None
    if do_pc:
        thr = np.quantile(sim_pc, quantile, axis=0)
        out.update(observed_pc=obs_pc, simulated_pc_mean=sim_pc.mean(axis=0),
                   simulated_pc_quantile=thr)
        n_components = _count_above(obs_pc, thr)
    if do_fa:
        obs_fa = _fa_values(prep.corr, method)
        thr = np.quantile(sim_fa, quantile, axis=0)
        out.update(observed_fa=obs_fa, simulated_fa_mean=sim_fa.mean(axis=0),
                   simulated_fa_quantile=thr)
        n_factors = _count_above(obs_fa, thr)
    return ParallelAnalysisResult(eigenvalues=pd.DataFrame(out), n_factors=n_factors,
                                  n_components=n_components, n_iter=int(n_iter),
                                  quantile=float(quantile), seed=seed, method=method, kind=kind,
                                  reference=reference, n_obs=n, missing_note=prep.missing_note())


def parallel_analysis(data: Any, *, n_iter: int = 20, quantile: float = 0.95, seed: int | None = 0,
                      method: str = "minres", kind: str = "both", reference: str = "simulate",
                      missing: str = "pairwise", items: list[str] | None = None,
                      instrument: str | Instrument | None = None, score: str | None = None,
        column_map: Mapping[str, str] | None = None,
        patterns: Mapping[str, str] | Sequence[str] | str | None = None,
        on_invalid: str = "error",
                      n_obs: int | None = None, progress: bool = False) -> ParallelAnalysisResult:
    """How many factors? Horn's parallel analysis, as ``psych::fa.parallel``.

    Observed eigenvalues are compared with the ``quantile`` of eigenvalues from
    ``n_iter`` random data sets of the same size; the suggested number is the count of
    leading observed eigenvalues above that threshold.

    Parameters
    ----------
    data : DataFrame
        Item answers (NaN = missing) or a correlation matrix (then ``n_obs`` is required).
    n_iter : int
        Random data sets (psych's ``n.iter``; default 20 as psych).
    quantile : float
        Threshold quantile of the random eigenvalues (psych's ``quant``, default 0.95).
    seed : int or None
        Seed of numpy's random generator (default 0, so results are reproducible).
    method : {"minres", "ml", "pa"}
        Extraction for the factor eigenvalues (psych's ``fm``).
    kind : {"both", "fa", "pc"}
        Factor eigenvalues, principal-component eigenvalues, or both (psych's ``fa=``).
    reference : {"simulate", "resample"}
        ``"simulate"``: standard normal data (Horn 1965; psych's ``sim=TRUE``).
        ``"resample"``: each item's observed answers drawn with replacement independently,
        keeping the missing-data pattern (psych's resampled comparison, which psych uses for
        its suggestion when ``fa="both"`` and raw data are given).
    missing : {"pairwise", "listwise"}
        How missing answers enter the observed correlation matrix.
    items, instrument, score : optional
        Which items to use (see :func:`correlation_matrix`).
    n_obs : int, optional
        Sample size when ``data`` is a correlation matrix.
    progress : bool
        Show a progress bar over the random data sets (only on a terminal).

    Returns
    -------
    ParallelAnalysisResult

    Notes
    -----
    Factor eigenvalues are those of the correlation matrix with the communalities of a
    one-factor solution on the diagonal (``fa(r, 1)$values``), exactly as
    ``psych::fa.parallel``. Random numbers differ from R's, so simulated thresholds agree
    with psych only up to simulation error.

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    *Psychometrika*, 30, 179-185.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(400, 2))
    >>> x = np.hstack([f[:, [0]] + rng.normal(size=(400, 3)), f[:, [1]] + rng.normal(size=(400, 3))])
    >>> res = parallel_analysis(pd.DataFrame(x), n_iter=10, seed=1)  # psych::fa.parallel
    >>> res.n_factors, res.n_components
    (2, 2)
    """
    prep = _prepare(data, missing=missing, items=items, instrument=instrument, score=score,
                    input_options=InputOptions.of(column_map, patterns, on_invalid),
                    n_obs=n_obs)
    return _parallel(prep, n_iter=n_iter, quantile=quantile, seed=seed, method=method, kind=kind,
                     reference=reference, progress=progress)


# --------------------------------------------------------------------------- EFA

def _residual_fit(r: np.ndarray, resid: np.ndarray, dof: float, n_obs: int | None,
                  counts: np.ndarray | None) -> dict[str, float]:
    """psych's ``rms``, ``crms`` and ``fit.off`` (weighted by pairwise n with pairwise deletion)."""
    from compassion_scales.stats.distributions import hmean

    p = len(r)
    off = ~np.eye(p, dtype=bool)
    nan = float("nan")
    w = np.ones((p, p)) if counts is None else counts
    nh = 1.0 if counts is None else float(hmean(counts.ravel()))
    rstar_off = float(np.sum(resid[off] ** 2 * w[off]))
    r2_off = float(np.sum(r[off] ** 2 * w[off]))
    return {"rms": float(np.sqrt(rstar_off / (nh * p * (p - 1)))),
            "crms": float(np.sqrt(rstar_off / (2 * nh * dof))) if dof > 0 else nan,
            "fit_off": 1.0 - rstar_off / r2_off}


def _rmsea_interval(stat: float, dof: float, n: float, rmsea: float) -> tuple[float, float]:
    """psych's 90% RMSEA interval from the noncentral chi-square (``fa.stats``)."""
    from scipy import optimize

    from compassion_scales.stats.distributions import chi2, ncx2

    nan = float("nan")
    tail = 0.05
    hi = max(n, stat) + 2 * n
    p_central = chi2.cdf(stat, dof)

    def ncp_root(target: float) -> float:
        return optimize.brentq(lambda x: ncx2.cdf(stat, dof, max(x, 1e-12)) - target,
                               0.0, hi, xtol=1e-12)

    upper = 0.0
    if p_central > tail:
        try:
            upper = float(np.sqrt(ncp_root(tail) / (n - 1) / dof))
        except ValueError:
            upper = 0.0 if rmsea <= 0 else nan
    lower = 0.0
    if p_central > 1 - tail:
        try:
            lower = float(np.sqrt(ncp_root(1 - tail) / (n - 1) / dof))
        except ValueError:
            lower = nan
    if not np.isnan(upper) and upper < rmsea:
        upper = nan
    if not np.isnan(lower) and lower > rmsea:
        lower = nan
    return lower, upper


def _chisq_fit(objective: float, f0: float, p: int, k: int, dof: float,
               n: float) -> dict[str, float]:
    """Likelihood-ratio chi-square, TLI, RMSEA (90% interval) and BIC as ``psych::fa``."""
    from compassion_scales.stats.distributions import chi2

    nm = (n - 1) - (2 * p + 5) / 6 - 2 * k / 3
    chisq = objective * nm
    stat = max(chisq, 0.0)
    out = {"chisq": stat, "null_chisq": f0 * ((n - 1) - (2 * p + 5) / 6)}
    if dof > 0:
        mm = objective / dof
        m0 = f0 * 2 / (p * (p - 1))
        rmsea = float(np.sqrt(max(chisq / (dof * n) - 1 / (n - 1), 0.0)))
        low, high = _rmsea_interval(stat, dof, n, rmsea)
        out.update(p_val=float(chi2.sf(stat, dof)), tli=(m0 - mm) / (m0 - 1 / nm),
                   rmsea=rmsea, rmsea_ci_low=low, rmsea_ci_high=high,
                   bic=float(chisq - dof * np.log(n)))
    return out


def _fit_statistics(r: np.ndarray, lam: np.ndarray, phi: np.ndarray | None, n_obs: int | None,
                    counts: np.ndarray | None) -> dict[str, float]:
    """Goodness-of-fit statistics exactly as psych::fa (``fa.stats``, 90% RMSEA interval)."""
    p, k = lam.shape
    model = lam @ (phi if phi is not None else np.eye(k)) @ lam.T
    dof = p * (p - 1) / 2 - p * k + k * (k - 1) / 2
    nan = float("nan")
    m = model.copy()
    np.fill_diagonal(m, np.diag(r))
    m = cor_smooth(m)[0]
    rs = cor_smooth(r)[0]
    mir = np.linalg.solve(m, rs)
    sign, logdet = np.linalg.slogdet(mir)
    objective = float(np.trace(mir) - logdet - p) if sign > 0 else nan
    out = {"n_obs": nan if n_obs is None else float(n_obs), "df": float(dof),
           "objective": objective, "chisq": nan, "p_val": nan, "tli": nan, "rmsea": nan,
           "rmsea_ci_low": nan, "rmsea_ci_high": nan, "bic": nan, "null_chisq": nan,
           "null_df": float(p * (p - 1) / 2)}
    out.update(_residual_fit(r, r - model, dof, n_obs, counts))
    if n_obs is not None:
        f0 = float(np.trace(rs) - np.linalg.slogdet(rs)[1] - p)
        out.update(_chisq_fit(objective, f0, p, k, dof, float(n_obs)))
    return out


@dataclass(frozen=True, repr=False)
class EFAResult(ResultMixin):
    """An exploratory factor analysis solution.

    Attributes
    ----------
    loadings : DataFrame
        Rotated (pattern) loadings, items x ``factor_1..k``.
    structure : DataFrame
        Structure matrix ``loadings @ factor_correlations`` (equals ``loadings`` when
        orthogonal).
    unrotated_loadings : DataFrame
    communalities, uniquenesses, complexity : Series
        Per item; complexity is Hofmann's index (as psych).
    factor_correlations : DataFrame or None
        Phi, for oblique rotations.
    variance : DataFrame
        ``ss_loadings``, ``proportion_var``, ``cumulative_var``, ``proportion_explained`` per
        factor (psych's ``Vaccounted``).
    eigenvalues : DataFrame
        Eigenvalues of the correlation matrix (``eigenvalue``) and of the reduced matrix with
        this solution's communalities (``fa_eigenvalue``).
    correlation : DataFrame
        The correlation matrix analysed.
    fit : DataFrame
        One row of goodness-of-fit statistics as ``psych::fa`` computes them: ``df``,
        ``objective``, ``chisq`` and ``p_val`` (likelihood-ratio, with Bartlett's correction),
        ``tli``, ``rmsea`` with its 90% interval (``rmsea_ci_low``, ``rmsea_ci_high``), ``bic``,
        ``null_chisq``, ``null_df``, ``rms`` (root mean square off-diagonal residual, weighted by
        pairwise n with pairwise deletion), ``crms`` (rms corrected for df) and ``fit_off``.
    parallel : ParallelAnalysisResult or None
        Set when the number of factors was chosen by parallel analysis.
    """

    loadings: pd.DataFrame
    structure: pd.DataFrame
    unrotated_loadings: pd.DataFrame
    communalities: pd.Series
    uniquenesses: pd.Series
    complexity: pd.Series
    factor_correlations: pd.DataFrame | None
    variance: pd.DataFrame
    eigenvalues: pd.DataFrame
    correlation: pd.DataFrame
    fit: pd.DataFrame
    n_factors: int
    method: str
    rotation: str
    n_obs: int | None
    missing: str
    converged: bool
    n_iter: int
    heywood_items: tuple[str, ...]
    parallel: ParallelAnalysisResult | None
    missing_note: str
    _title: str = field(default="Exploratory factor analysis", init=False)

    @property
    def summary(self) -> pd.DataFrame:
        df = self.loadings.copy()
        df.insert(0, "item", df.index.astype(str))
        df["communality"] = self.communalities.to_numpy()
        df["uniqueness"] = self.uniquenesses.to_numpy()
        df["complexity"] = self.complexity.to_numpy()
        return df.reset_index(drop=True)

    def _notes(self) -> list[str]:
        rot = self.rotation if self.n_factors > 1 else "none (one factor)"
        kind = ("oblique" if self.factor_correlations is not None else "orthogonal") \
            if rot not in ("none", "none (one factor)") else "unrotated"
        lines = [f"Extraction: {_METHOD_LABELS[self.method]}; {self.n_factors} factor(s); "
                 f"rotation: {rot} ({kind}).",
                 "Factors signed to positive column sums and sorted by variance explained "
                 "(psych::fa conventions); loadings are pattern coefficients."]
        if self.parallel is not None:
            lines.append(f"Number of factors chosen by parallel analysis ({self.parallel.n_iter} "
                         f"iterations, {self.parallel.quantile:g} quantile, seed "
                         f"{self.parallel.seed}).")
        v = self.variance
        lines.append("Variance explained: " + ", ".join(
            f"{f} {p:.1%}" for f, p in zip(v["factor"], v["proportion_var"], strict=True))
            + f" (total {v['proportion_var'].sum():.1%}).")
        if self.factor_correlations is not None:
            phi = self.factor_correlations.to_numpy()
            off = phi[~np.eye(len(phi), dtype=bool)]
            lines.append(f"Factor correlations range {off.min():.2f} to {off.max():.2f} "
                         "(see factor_correlations / --format json).")
        f = self.fit.iloc[0]
        if not np.isnan(f["chisq"]):
            p_txt = "p < .001" if f["p_val"] < 0.001 else f"p = {f['p_val']:.3f}"
            lines.append(f"Fit (as psych::fa): chisq({f['df']:.0f}) = {f['chisq']:.2f}, {p_txt}; "
                         f"TLI = {f['tli']:.3f}; RMSEA = {f['rmsea']:.3f} [90% CI "
                         f"{f['rmsea_ci_low']:.3f}, {f['rmsea_ci_high']:.3f}]; BIC = {f['bic']:.1f}; "
                         f"RMSR = {f['rms']:.3f}.")
        else:
            lines.append(f"Fit: RMSR = {f['rms']:.3f} (chi-square needs n_obs).")
        if self.heywood_items:
            lines.append("Heywood case: " + ", ".join(self.heywood_items)
                         + " (communality at or above the bound); interpret with care.")
        if not self.converged:
            lines.append("Warning: the estimator did not converge.")
        lines.append(self.missing_note)
        return lines

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        def labelled(df: pd.DataFrame | None, key: str) -> Any:
            if df is None:
                return None
            out = df.copy()
            out.insert(0, key, out.index.astype(str))
            return to_jsonable(out.reset_index(drop=True))

        return {
            "summary": to_jsonable(self.summary),
            "n_factors": self.n_factors, "method": self.method, "rotation": self.rotation,
            "n_obs": self.n_obs, "missing": self.missing, "converged": self.converged,
            "heywood_items": list(self.heywood_items),
            "factor_correlations": labelled(self.factor_correlations, "factor"),
            "structure": labelled(self.structure, "item"),
            "variance": to_jsonable(self.variance),
            "fit": to_jsonable(self.fit)[0],
            "eigenvalues": to_jsonable(self.eigenvalues),
            "parallel_analysis": None if self.parallel is None else self.parallel.to_dict(),
            "notes": self._notes(),
        }

    def plot(self, path: str | Path) -> Path:
        """Save a scree plot (with parallel-analysis thresholds when available)."""
        return scree_plot(self, path)


@renamed_arguments(nfactors="n_factors", adapt=number_second("n_factors", "efa"))
def efa(data: Any, instrument: str | Instrument | None = None, *,
        n_factors: int | None = None, method: str = "minres",
        rotation: str | None = "oblimin", missing: str = "pairwise",
        items: list[str] | None = None, score: str | None = None,
        column_map: Mapping[str, str] | None = None,
        patterns: Mapping[str, str] | Sequence[str] | str | None = None,
        on_invalid: str = "error", n_obs: int | None = None, n_iter: int = 20,
        quantile: float = 0.95, seed: int | None = 0) -> EFAResult:
    """Exploratory factor analysis (as ``psych::fa``).

    Parameters
    ----------
    data : DataFrame
        Item answers (rows = people, columns = items, NaN = missing), or a correlation
        matrix (square, symmetric, unit diagonal, index equal to columns).
    instrument : str or Instrument, optional
        An instrument id or file: items are taken from it, validated and reverse-keyed
        (all scored items, or those of ``score``).
    n_factors : int, optional
        Number of factors. When omitted, parallel analysis chooses it (factor eigenvalues
        above the 95th percentile of ``n_iter`` simulated data sets; see
        :func:`parallel_analysis`).
    method : {"minres", "ml", "pa"}
        Minimum residual (unweighted least squares, psych's default), maximum likelihood or
        iterated principal axis.
    rotation : {"oblimin", "promax", "varimax", "geomin_obl", "geomin_ort", "none"}
        Rotation (``"geominQ"``/``"geominT"`` accepted as aliases). Oblique rotations give
        factor correlations.
    missing : {"pairwise", "listwise"}
        How missing answers enter the correlation matrix (stated in the result).
    items, score : optional
        Which items to use: columns (without an instrument), or one score of the instrument.
    n_obs : int, optional
        Sample size when ``data`` is a correlation matrix.
    n_iter, quantile, seed :
        Parallel-analysis settings when ``n_factors`` is omitted (``seed`` default 0).

    The 0.1 call ``efa(data, 3)`` (the number of factors second) still works until 1.0,
    with a :class:`FutureWarning`.

    Returns
    -------
    EFAResult

    Raises
    ------
    AnalysisError
        Too many factors for the number of items, unknown method or rotation, unusable data.

    Warns
    -----
    HeywoodCaseWarning
        An item's uniqueness reached the estimator's lower bound (0.005) or a communality
        reached 1. Values are reported as estimated, never clipped afterwards.
    ConvergenceWarning
        The estimator stopped before converging.

    Notes
    -----
    minres minimises the unweighted least-squares discrepancy between the correlation
    matrix and ``L L' + Psi`` (psych's fit function, whose optimum equals its off-diagonal
    residual criterion); ML minimises
    :math:`\\operatorname{tr}(\\Sigma^{-1}R) - \\ln|\\Sigma^{-1}R| - p` (Joreskog's
    concentrated form, as ``factanal``/psych); both use L-BFGS-B with uniquenesses in
    [0.005, 1], started at ``1 - SMC``. Principal axis iterates exactly as psych (SMC start,
    stop when the sum of communalities changes by < 0.001, at most 50 iterations).

    References
    ----------
    Revelle, W. psych: Procedures for Psychological, Psychometric, and Personality Research
    (``fa``). Northwestern University.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(400, 2))
    >>> x = np.hstack([f[:, [0]] + rng.normal(size=(400, 3)), f[:, [1]] + rng.normal(size=(400, 3))])
    >>> df = pd.DataFrame(x, columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    >>> res = efa(df, n_factors=2, method="minres", rotation="oblimin")  # psych::fa(df, 2)
    >>> list(res.loadings.columns)
    ['factor_1', 'factor_2']
    >>> primary = res.loadings.abs().idxmax(axis=1)  # factor each item loads most on
    >>> primary["a1"] == primary["a2"] == primary["a3"] != primary["b1"] == primary["b2"] == primary["b3"]
    True
    """
    method = _resolve_method(method)
    rot = _resolve_rotation(rotation)
    prep = _prepare(data, missing=missing, items=items, instrument=instrument, score=score,
                    input_options=InputOptions.of(column_map, patterns, on_invalid),
                    n_obs=n_obs, min_items=3)
    pa_result = None
    if n_factors is None:
        pa_result = _parallel_choice(prep, n_iter=n_iter, quantile=quantile, seed=seed,
                                     method=method)
        n_factors = max(pa_result.n_factors or 0, 1)
    n_factors = _check_n_factors(int(n_factors), len(prep.labels))
    with single_thread_blas():
        fit = extract(prep.corr, n_factors, method)
    if not fit.converged:
        warnings.warn(f"The {method} estimator did not converge ({str(fit.message).strip().rstrip(':')}); results may be "
                      "unreliable. Try another method or fewer factors.", ConvergenceWarning,
                      stacklevel=2)
    lam0 = fit.loadings * _col_signs(fit.loadings)
    lam, phi, rot_used = _rotated(lam0, rot)
    h2 = np.sum(lam0**2, axis=1)
    heywood = _heywood(prep.labels, fit, h2, method)
    if heywood:
        warnings.warn(
            "Heywood case: " + "; ".join(heywood) + ". The solution is improper (an item's unique "
            "variance is at zero or below); values are reported as estimated. Consider fewer "
            "factors, removing the item, or another method.", HeywoodCaseWarning, stacklevel=2)
    return _efa_result(prep, fit, lam0, lam, phi, method=method, rotation=rot_used,
                       parallel=pa_result)


def _resolve_method(method: str) -> str:
    method = str(method).lower()
    if method in ("mle", "maximum_likelihood"):
        method = "ml"
    if method not in METHODS:
        raise AnalysisError(f"Unknown extraction method {method!r}. Choose one of: "
                            f"{', '.join(METHODS)}.")
    return method


def _parallel_choice(prep: _Prepared, *, n_iter: int, quantile: float, seed: int | None,
                     method: str) -> ParallelAnalysisResult:
    """Parallel analysis choosing the number of factors for :func:`efa` (warns when none)."""
    if prep.n_obs is None:
        raise AnalysisError("Give n_factors, or n_obs so that parallel analysis can choose "
                            "the number of factors for a correlation matrix.")
    result = _parallel(prep, n_iter=n_iter, quantile=quantile, seed=seed, method=method,
                       kind="both", reference="simulate")
    if (result.n_factors or 0) < 1:
        warnings.warn("Parallel analysis found no factor above random data; one factor is "
                      "extracted. The items may not share a common factor.",
                      PsychometricWarning, stacklevel=3)
    return result


def _check_n_factors(n_factors: int, p: int) -> int:
    max_k = _max_factors(p)
    if n_factors < 1 or n_factors > max_k:
        raise AnalysisError(
            f"{n_factors} factors cannot be estimated from {p} items: at most {max_k} (the model "
            "must have no more parameters than correlations). Ask for fewer factors.")
    return n_factors


def _rotated(lam0: np.ndarray, rotation: str) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Rotate, sign columns to positive sums and sort factors by variance (psych::fa)."""
    if lam0.shape[1] == 1:
        return lam0, None, "none"
    rot = rotate(lam0, rotation)
    lam, phi = rot.loadings, rot.phi
    s = _col_signs(lam)
    lam = lam * s
    if phi is not None:
        phi = phi * np.outer(s, s)
    order = np.argsort(-_ss_loadings(lam, phi), kind="stable")
    lam = lam[:, order]
    if phi is not None:
        phi = phi[np.ix_(order, order)]
    return lam, phi, rotation


def _ss_loadings(lam: np.ndarray, phi: np.ndarray | None) -> np.ndarray:
    return np.diag(phi @ lam.T @ lam) if phi is not None else np.sum(lam**2, axis=0)


def _efa_result(prep: _Prepared, fit: FactorFit, lam0: np.ndarray, lam: np.ndarray,
                phi: np.ndarray | None, *, method: str, rotation: str,
                parallel: ParallelAnalysisResult | None) -> EFAResult:
    r, labels = prep.corr, prep.labels
    p, k = lam.shape
    cols = [f"factor_{j + 1}" for j in range(k)]
    h2 = np.sum(lam0**2, axis=1)
    ss = _ss_loadings(lam, phi)
    total = float(np.trace(r))
    variance = pd.DataFrame({"factor": cols, "ss_loadings": ss, "proportion_var": ss / total,
                             "cumulative_var": np.cumsum(ss / total),
                             "proportion_explained": ss / ss.sum()})
    if fit.reduced_values is not None:
        fa_values = fit.reduced_values
    else:
        reduced = r.copy()
        np.fill_diagonal(reduced, h2)
        fa_values = np.linalg.eigvalsh(reduced)[::-1]
    eig = pd.DataFrame({"number": np.arange(1, p + 1),
                        "eigenvalue": np.linalg.eigvalsh(r)[::-1], "fa_eigenvalue": fa_values})
    loadings = pd.DataFrame(lam, index=labels, columns=cols)
    l2 = lam**2
    return EFAResult(
        loadings=loadings,
        structure=loadings if phi is None else pd.DataFrame(lam @ phi, index=labels, columns=cols),
        unrotated_loadings=pd.DataFrame(lam0, index=labels, columns=cols),
        communalities=pd.Series(h2, index=labels, name="communality"),
        uniquenesses=pd.Series(np.diag(r) - h2, index=labels, name="uniqueness"),
        complexity=pd.Series(np.sum(l2, axis=1) ** 2 / np.sum(l2**2, axis=1), index=labels,
                             name="complexity"),
        factor_correlations=None if phi is None else pd.DataFrame(phi, index=cols, columns=cols),
        variance=variance, eigenvalues=eig,
        correlation=pd.DataFrame(r, index=labels, columns=labels),
        fit=pd.DataFrame([_fit_statistics(r, lam, phi, prep.n_obs, prep.pair_counts)]),
        n_factors=k, method=method, rotation=rotation, n_obs=prep.n_obs, missing=prep.missing,
        converged=fit.converged, n_iter=fit.n_iter,
        heywood_items=tuple(labels[i] for i in range(p) if _is_heywood(fit, h2, i, method)),
        parallel=parallel, missing_note=prep.missing_note())


def _max_factors(p: int) -> int:
    """Largest k with non-negative degrees of freedom ((p - k)^2 >= p + k)."""
    k = 0
    while k + 1 < p and (p - (k + 1)) ** 2 >= p + (k + 1):
        k += 1
    return max(k, 1)


def _is_heywood(fit: FactorFit, h2: np.ndarray, i: int, method: str) -> bool:
    if h2[i] >= 1.0 - 1e-12:
        return True
    return method in ("minres", "ml") and fit.psi[i] <= PSI_LOWER * (1 + 1e-6)


def _heywood(labels: list[str], fit: FactorFit, h2: np.ndarray, method: str) -> list[str]:
    out = []
    for i, lab in enumerate(labels):
        if _is_heywood(fit, h2, i, method):
            if h2[i] >= 1.0 - 1e-12:
                out.append(f"{lab} has communality {h2[i]:.3f} (>= 1)")
            else:
                out.append(f"{lab}'s uniqueness reached the estimator's lower bound "
                           f"{PSI_LOWER} (communality {h2[i]:.3f})")
    return out


# --------------------------------------------------------------------------- plots

def scree_plot(result: EFAResult | ParallelAnalysisResult, path: str | Path) -> Path:
    """Save a scree plot as PNG or SVG (chosen by the file extension).

    Shows the observed eigenvalues of the correlation matrix (components) and of the
    reduced matrix (factors), with parallel analysis' random-data thresholds when known.

    Parameters
    ----------
    result : EFAResult or ParallelAnalysisResult
    path : str or Path
        Output file ending in ``.png`` or ``.svg``.

    Returns
    -------
    Path
    """
    from compassion_scales.errors import OutputFileError

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise OutputFileError(f"Cannot save a plot as {path.name!r}: use a file name ending in "
                              ".png or .svg.")
    import matplotlib as mpl

    mpl.use("Agg", force=False)
    from matplotlib.figure import Figure

    if isinstance(result, EFAResult):
        pa = result.parallel
        ev = result.eigenvalues
        pc_obs, fa_obs = ev["eigenvalue"].to_numpy(), None
        if pa is not None and "observed_fa" in pa.eigenvalues:
            fa_obs = pa.eigenvalues["observed_fa"].to_numpy()
        n_show = len(ev)
    else:
        pa = result
        pc_obs = pa.eigenvalues["observed_pc"].to_numpy() if "observed_pc" in pa.eigenvalues else None
        fa_obs = pa.eigenvalues["observed_fa"].to_numpy() if "observed_fa" in pa.eigenvalues else None
        n_show = len(pa.eigenvalues)
    x = np.arange(1, n_show + 1)
    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.add_subplot()
    if pc_obs is not None:
        ax.plot(x, pc_obs, "o-", color="#1f4e9c", label="components (observed)")
    if fa_obs is not None:
        ax.plot(x, fa_obs, "^-", color="#2a7f3f", label="factors (observed)")
    if pa is not None:
        e = pa.eigenvalues
        q = f"{pa.quantile:g} quantile"
        if "simulated_pc_quantile" in e:
            ax.plot(x, e["simulated_pc_quantile"], "--", color="#1f4e9c", alpha=0.7,
                    label=f"components, random data ({q})")
        if "simulated_fa_quantile" in e:
            ax.plot(x, e["simulated_fa_quantile"], "--", color="#2a7f3f", alpha=0.7,
                    label=f"factors, random data ({q})")
    ax.axhline(1.0, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("Factor / component number")
    ax.set_ylabel("Eigenvalue")
    ax.set_title("Scree plot" + (" with parallel analysis" if pa is not None else ""))
    ax.set_xticks(x)
    ax.legend(frameon=False, fontsize="small")
    fig.tight_layout()
    try:
        fig.savefig(path, format=suffix[1:])
    except OSError as exc:
        raise OutputFileError(f"Cannot write the plot to {path}: {exc.strerror or exc}.") from None
    return path
