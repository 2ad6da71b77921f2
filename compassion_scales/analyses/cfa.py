"""Confirmatory factor analysis by maximum likelihood, with lavaan's conventions.

:func:`cfa` fits a confirmatory factor model (each item loads on the factors the
model names, residuals uncorrelated unless the model says otherwise) to the
covariance matrix of the items, by normal-theory maximum likelihood, and reports
chi-square, CFI, TLI, RMSEA (90% CI, p-close), SRMR, AIC, BIC, unstandardised and
standardised estimates with standard errors, and modification indices.

Everything is written on numpy/scipy and reproduces ``lavaan::cfa`` (0.6-x):

* the ML discrepancy uses the sample covariance matrix with divisor N (not N - 1),
  and chi-square = N x F_ML (summed over groups);
* the first loading of each factor is fixed to 1 (marker variable), or, with
  ``std_lv=True``, the factor variances are fixed to 1 and all loadings are free;
* standard errors come from the expected information matrix;
* CFI/TLI use the independence (baseline) model with free variances (and means);
* RMSEA uses N, is multiplied by sqrt(G) for G groups; its 90% CI and p-close
  (H0: RMSEA <= .05) are computed from the non-central chi-square as lavaan does;
* SRMR is Bentler's (residual covariances divided by the sample standard
  deviations, means included when the model has a mean structure), averaged over
  groups with weights N_g / N;
* AIC and BIC are -2 logL + 2 q and -2 logL + q log N, with the full normal
  log-likelihood;
* missing data: listwise deletion (default) or full-information ML (``missing="fiml"``:
  casewise likelihood by missing-data pattern, unrestricted model by EM, standard errors
  from the observed information, as lavaan's ``missing = "fiml"``).

The multi-group engine (equality constraints across groups, mean structure) is
shared with :mod:`compassion_scales.analyses.invariance`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales.errors import (
    AnalysisError,
    ConvergenceWarning,
    HeywoodCaseWarning,
    MissingDataWarning,
    SkippedScoreWarning,
)
from compassion_scales.results import ResultMixin

__all__ = ["cfa", "CFAResult", "parse_model"]

_LOG2PI = float(np.log(2.0 * np.pi))

# one missing-data pattern: (observed columns, n, mean, covariance with divisor n)
_Pattern = tuple[np.ndarray, int, np.ndarray, np.ndarray]
# one group's sample statistics: (S, ybar, n), plus (patterns, h1 log-likelihoods) with FIML
_Sample = (tuple[np.ndarray, np.ndarray, int]
           | tuple[np.ndarray, np.ndarray, int, list[_Pattern], dict[str, float]])


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class ModelSpec:
    """A confirmatory measurement model.

    Attributes
    ----------
    factors : dict of str -> tuple of str
        Factor name -> the items loading on it (first item = marker).
    residual_covariances : tuple of (str, str)
        Pairs of items whose residuals covary.
    """

    factors: Mapping[str, tuple[str, ...]]
    residual_covariances: tuple[tuple[str, str], ...] = ()

    @property
    def items(self) -> list[str]:
        seen: dict[str, None] = {}
        for its in self.factors.values():
            for it in its:
                seen.setdefault(it, None)
        return list(seen)

    def to_syntax(self) -> str:
        lines = [f"{f} =~ " + " + ".join(its) for f, its in self.factors.items()]
        lines += [f"{a} ~~ {b}" for a, b in self.residual_covariances]
        return "\n".join(lines)


_NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"


def parse_model(model: Any) -> ModelSpec:
    """Turn a model given as a dict or lavaan-style text into a :class:`ModelSpec`.

    Parameters
    ----------
    model : dict, str or ModelSpec
        ``{"visual": ["x1", "x2", "x3"], ...}`` or text such as
        ``"visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6"`` (one factor per line
        or ';'-separated; ``x1 ~~ x2`` adds a residual covariance; ``#`` starts a
        comment).

    Examples
    --------
    >>> spec = parse_model("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6")
    >>> dict(spec.factors)
    {'visual': ('x1', 'x2', 'x3'), 'textual': ('x4', 'x5', 'x6')}
    """
    if isinstance(model, ModelSpec):
        return model
    factors: dict[str, tuple[str, ...]] = {}
    rescov: list[tuple[str, str]] = []
    if isinstance(model, Mapping):
        for f, its in model.items():
            if isinstance(its, str):
                its = [its]
            factors[str(f)] = tuple(str(i) for i in its)
    elif isinstance(model, str):
        statements = []
        for line in model.splitlines():
            line = line.split("#", 1)[0]
            statements += [s.strip() for s in line.split(";")]
        for st in statements:
            if not st:
                continue
            if "=~" in st:
                lhs, rhs = (s.strip() for s in st.split("=~", 1))
                its = [t.strip() for t in rhs.split("+")]
                if not re.fullmatch(_NAME, lhs) or not its or not all(re.fullmatch(_NAME, t) for t in its):
                    raise AnalysisError(
                        f"Cannot read the model line '{st}'. Write one factor per line as "
                        "'factor =~ item1 + item2 + item3' (plain names; no fixed values or labels).")
                factors[lhs] = factors.get(lhs, ()) + tuple(its)
            elif "~~" in st:
                lhs, rhs = (s.strip() for s in st.split("~~", 1))
                if not re.fullmatch(_NAME, lhs) or not re.fullmatch(_NAME, rhs) or lhs == rhs:
                    raise AnalysisError(
                        f"Cannot read the model line '{st}'. A residual covariance is written "
                        "'item1 ~~ item2' (two different items).")
                rescov.append((lhs, rhs))
            else:
                raise AnalysisError(
                    f"Cannot read the model line '{st}'. Only 'factor =~ item1 + item2 + ...' "
                    "and 'item1 ~~ item2' (residual covariance) lines are understood.")
    else:
        raise AnalysisError(
            "The model must be a dict such as {'visual': ['x1', 'x2', 'x3']} or text such as "
            "'visual =~ x1 + x2 + x3'.")
    if not factors:
        raise AnalysisError("The model names no factor. Give at least one line 'factor =~ item1 + item2 + item3'.")
    for f, its in factors.items():
        if len(set(its)) != len(its):
            raise AnalysisError(f"Factor '{f}' lists an item twice ({', '.join(its)}).")
        if f in {i for v in factors.values() for i in v}:
            raise AnalysisError(f"'{f}' is used both as a factor and as an item; higher-order models are not supported.")
    items = {i for v in factors.values() for i in v}
    for a, b in rescov:
        for x in (a, b):
            if x not in items:
                raise AnalysisError(f"The residual covariance '{a} ~~ {b}' names '{x}', which loads on no factor.")
    return ModelSpec(factors=factors, residual_covariances=tuple(rescov))


def _model_from_instrument(instrument: Any, scores: Sequence[str] | None,
                           present: Sequence[str] | None = None) -> ModelSpec:
    item_scores = [s for s in instrument.scores if s.items and not s.components]
    if scores is None and present is not None:
        item_scores = [s for s in item_scores if s.id in set(present)]
    if scores is not None:
        wanted = list(scores)
        known = {s.id for s in item_scores}
        bad = [s for s in wanted if s not in known]
        if bad:
            raise AnalysisError(
                f"Instrument '{instrument.id}' has no item-based score {', '.join(map(repr, bad))}; "
                f"choose from {', '.join(sorted(known))}.")
        item_scores = [s for s in item_scores if s.id in wanted]
    else:
        sets = {s.id: set(s.items) for s in item_scores}
        # drop total scores: a score whose items strictly contain another score's items
        item_scores = [s for s in item_scores
                       if not any(o != s.id and sets[o] < sets[s.id] for o in sets)]
    if not item_scores:
        raise AnalysisError(f"Instrument '{instrument.id}' declares no item-based scores to use as factors.")
    return ModelSpec(factors={s.id: tuple(s.items) for s in item_scores})


def _resolve(data: pd.DataFrame, model: Any, scores: Sequence[str] | None = None,
             extra_cols: Sequence[str] = (), options: Any = None
             ) -> tuple[ModelSpec, pd.DataFrame, str]:
    """Return (spec, item data (+ extra columns), description of the model source)."""
    from compassion_scales.instrument import Instrument

    if not isinstance(data, pd.DataFrame):
        raise AnalysisError("The data must be a table (pandas DataFrame) with one column per item.")
    instrument = None
    if isinstance(model, Instrument):
        instrument = model
    elif isinstance(model, str) and "=~" not in model and "~~" not in model:
        from compassion_scales.instrument import load_instrument

        instrument = load_instrument(model)
    if instrument is not None:
        from compassion_scales._inputs import item_set

        iset = item_set(data, instrument, scores=scores, options=options,
                        reserved={"group": extra_cols[0] if extra_cols else None})
        for note in iset.notes():
            warnings.warn(note, SkippedScoreWarning, stacklevel=3)
        spec = _model_from_instrument(instrument, scores, present=iset.scores)
        items = iset.items(None, keyed=True)
        missing = [i for i in spec.items if i not in items.columns]
        if missing:
            raise AnalysisError(f"Items {', '.join(missing)} of instrument '{instrument.id}' are not in the data.")
        out = items[spec.items].copy()
        for c in extra_cols:
            out[c] = data[c].to_numpy()
        return spec, out, f"instrument '{instrument.id}' (scores -> factors, reverse-keyed items recoded)"
    spec = parse_model(model)
    missing = [i for i in spec.items if i not in data.columns]
    if missing:
        raise AnalysisError(
            f"The model names item(s) {', '.join(missing)} that are not columns of the data. "
            "Check the spelling in the model against the column headers.")
    from compassion_scales._inputs import numeric_columns

    data = numeric_columns(data, spec.items, what="model item")
    cols = spec.items + [c for c in extra_cols if c not in spec.items]
    return spec, data[cols].copy(), "user model"


def _numeric_items(df: pd.DataFrame, items: list[str]) -> np.ndarray:
    from compassion_scales.analyses.correlations import (
        item_matrix,  # the one responses -> matrix path
    )

    return item_matrix(df, items, what="model item")[0]


# --------------------------------------------------------------------------- engine

# parameter kinds; rows of the parameter table are (group, kind, i, j)
_LAMBDA, _PSI, _THETA, _NU, _ALPHA = "=~", "~~lv", "~~ov", "~1ov", "~1lv"


@dataclass
class _Par:
    group: int
    kind: str
    i: int
    j: int
    free: int  # -1 = fixed
    value: float
    key: str  # parameter key, e.g. 'visual=~x2' (the same in every group)
    cls: str | None = None  # lavaan group.equal class ('loadings', 'intercepts', ...)
    shared: bool = False  # held equal across groups


class _Engine:
    """Multi-group CFA with optional mean structure and equality constraints (ML)."""

    def __init__(self, spec: ModelSpec, samples: Sequence[_Sample],
                 *, std_lv: bool = False, meanstructure: bool = False,
                 equal: Sequence[str] = (), released: Sequence[tuple[str, int]] = ()):
        self.spec = spec
        self.items = spec.items
        self.factors = list(spec.factors)
        self.p, self.m = len(self.items), len(self.factors)
        self.G = len(samples)
        self.S = [s[0] for s in samples]
        self.ybar = [s[1] for s in samples]
        self.Ng = np.array([s[2] for s in samples], dtype=float)
        # FIML: per group, a list of missing-data patterns (observed index, n, mean, cov) and h1
        self.patterns: list[list[_Pattern] | None] = [s[3] if len(s) > 3 else None for s in samples]
        self.fiml = any(pt is not None for pt in self.patterns)
        self._h1: list[dict[str, float] | None] = [s[4] if len(s) > 4 else None for s in samples]
        self.N = float(self.Ng.sum())
        self.w = self.Ng / self.N
        self.std_lv = std_lv
        self.meanstructure = meanstructure
        self.equal = set(equal)
        self.released = set(released)
        self._build_table()

    # -- parameter table
    def _build_table(self) -> None:
        idx = {it: k for k, it in enumerate(self.items)}
        pars: list[_Par] = []
        keymap: dict[str, int] = {}
        nfree = 0

        def add(g: int, kind: str, i: int, j: int, key: str, fixed: float | None, eq_class: str | None) -> None:
            nonlocal nfree
            if fixed is not None:
                pars.append(_Par(g, kind, i, j, -1, fixed, key, eq_class))
                return
            shared = eq_class is not None and eq_class in self.equal and (key, g) not in self.released
            gkey = key if shared else f"{key}@{g}"
            if gkey not in keymap:
                keymap[gkey] = nfree
                nfree += 1
            pars.append(_Par(g, kind, i, j, keymap[gkey], np.nan, key, eq_class, shared))

        eq_loadings = "loadings" in self.equal
        eq_intercepts = "intercepts" in self.equal
        for g in range(self.G):
            for k, f in enumerate(self.factors):
                for r, it in enumerate(self.spec.factors[f]):
                    fixed = 1.0 if (r == 0 and not self.std_lv) else None
                    add(g, _LAMBDA, idx[it], k, f"{f}=~{it}", fixed, "loadings")
            for k, f in enumerate(self.factors):
                for k2 in range(k, self.m):
                    f2 = self.factors[k2]
                    if k2 == k:
                        # std.lv: variances fixed at 1, freed in groups 2.. when loadings are equal
                        fixed = 1.0 if (self.std_lv and (g == 0 or not eq_loadings)) else None
                        add(g, _PSI, k, k, f"{f}~~{f}", fixed, "lv.variances")
                    else:
                        add(g, _PSI, k, k2, f"{f}~~{f2}", None, "lv.covariances")
            for i, it in enumerate(self.items):
                add(g, _THETA, i, i, f"{it}~~{it}", None, "residuals")
            for a, b in self.spec.residual_covariances:
                i, j = sorted((idx[a], idx[b]))
                add(g, _THETA, i, j, f"{self.items[i]}~~{self.items[j]}", None, "residual.covariances")
            if self.meanstructure:
                for i, it in enumerate(self.items):
                    add(g, _NU, i, 0, f"{it}~1", None, "intercepts")
                for k, f in enumerate(self.factors):
                    fixed = None if (eq_intercepts and g > 0) else 0.0
                    add(g, _ALPHA, k, 0, f"{f}~1", fixed, "means")
        self.pars = pars
        self.nfree = nfree
        self.keymap = keymap
        # per group, the list of (free index, par) and the Jacobian pattern
        self._gpars = [[p for p in pars if p.group == g] for g in range(self.G)]

    # -- matrices
    def matrices(self, x: np.ndarray, g: int) -> tuple[np.ndarray, ...]:
        p, m = self.p, self.m
        L = np.zeros((p, m))
        P = np.zeros((m, m))
        T = np.zeros((p, p))
        nu = np.zeros(p)
        al = np.zeros(m)
        for q in self._gpars[g]:
            v = q.value if q.free < 0 else x[q.free]
            if q.kind == _LAMBDA:
                L[q.i, q.j] = v
            elif q.kind == _PSI:
                P[q.i, q.j] = P[q.j, q.i] = v
            elif q.kind == _THETA:
                T[q.i, q.j] = T[q.j, q.i] = v
            elif q.kind == _NU:
                nu[q.i] = v
            else:
                al[q.i] = v
        return L, P, T, nu, al

    def implied(self, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        L, P, T, nu, al = self.matrices(x, g)
        return L @ P @ L.T + T, nu + L @ al

    def derivatives(self, qs: Sequence[_Par], cols: Sequence[int], ncol: int, L: np.ndarray, P: np.ndarray,
                    al: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Derivatives of (Sigma, mu) for the elements ``qs`` (placed in columns ``cols``).

        Every dSigma/dtheta of a CFA is ``c (u v' + v u')``; returns (U, V, c, DM) with one column
        per parameter, so that the information matrix needs no p^2 x q Jacobian.
        """
        p = self.p
        U = np.zeros((p, ncol))
        V = np.zeros((p, ncol))
        c = np.zeros(ncol)
        DM = np.zeros((p, ncol))
        LP = L @ P
        seen = np.zeros(ncol, dtype=bool)
        for q, k in zip(qs, cols, strict=True):
            if k < 0:
                continue
            if seen[k]:  # pragma: no cover - equality constraints never tie two elements of one group
                raise AnalysisError("Internal error: a parameter appears twice in one group.")
            seen[k] = True
            if q.kind == _LAMBDA:
                U[q.i, k] = 1.0
                V[:, k] = LP[:, q.j]
                c[k] = 1.0
                DM[q.i, k] = al[q.j]
            elif q.kind == _PSI:
                U[:, k] = L[:, q.i]
                V[:, k] = L[:, q.j]
                c[k] = 0.5 if q.i == q.j else 1.0
            elif q.kind == _THETA:
                U[q.i, k] = 1.0
                V[q.j, k] = 1.0
                c[k] = 0.5 if q.i == q.j else 1.0
            elif q.kind == _NU:
                DM[q.i, k] = 1.0
            else:
                DM[:, k] = L[:, q.i]
        return U, V, c, DM

    def _group_derivatives(self, x: np.ndarray, g: int) -> tuple[np.ndarray, ...]:
        L, P, T, nu, al = self.matrices(x, g)
        gp = self._gpars[g]
        return self.derivatives(gp, [q.free for q in gp], self.nfree, L, P, al)

    # -- objective
    def objective(self, x: np.ndarray) -> float:
        if self.fiml:
            return self._objective_fiml(x)
        F = 0.0
        for g in range(self.G):
            Sig, mu = self.implied(x, g)
            try:
                c = np.linalg.cholesky(Sig)
            except np.linalg.LinAlgError:
                return np.inf
            logdet = 2.0 * np.log(np.diag(c)).sum()
            Si = np.linalg.inv(Sig)
            d = self.ybar[g] - mu
            Fg = logdet + np.sum(self.S[g] * Si) - self._logdetS[g] - self.p
            if self.meanstructure:
                Fg += d @ Si @ d
            F += self.w[g] * Fg
        return float(F)

    # -- FIML (casewise likelihood, by missing-data pattern); F = -2 logL / N
    def _group_patterns(self, g: int) -> list[_Pattern]:
        pats = self.patterns[g]
        if pats is None:  # pragma: no cover - FIML samples always carry their patterns
            raise AnalysisError("Internal error: no missing-data patterns for a FIML group.")
        return pats

    def _h1_sum(self, key: str) -> float:
        """Sum of one saturated-model (h1) statistic over the groups (FIML only)."""
        total = 0.0
        for h in self._h1:
            if h is None:  # pragma: no cover - FIML samples always carry their h1 log-likelihoods
                raise AnalysisError("Internal error: no saturated-model log-likelihood for a FIML group.")
            total += h[key]
        return total

    def _objective_fiml(self, x: np.ndarray) -> float:
        total = 0.0
        for g in range(self.G):
            Sig, mu = self.implied(x, g)
            for o, n, yb, Sk in self._group_patterns(g):
                So = Sig[np.ix_(o, o)]
                try:
                    c = np.linalg.cholesky(So)
                except np.linalg.LinAlgError:
                    return np.inf
                Si = np.linalg.inv(So)
                d = yb - mu[o]
                total += n * (len(o) * _LOG2PI + 2.0 * np.log(np.diag(c)).sum() + np.sum(Si * Sk) + d @ Si @ d)
        return float(total / self.N)

    def _grad_info_fiml(self, x: np.ndarray, want_info: bool = True) -> tuple[np.ndarray, np.ndarray]:
        q = self.nfree
        grad = np.zeros(q)
        info = np.zeros((q, q))
        for g in range(self.G):
            Sig, mu = self.implied(x, g)
            U, V, c, DM = self._group_derivatives(x, g)
            Gfull = np.zeros((self.p, self.p))
            gmu = np.zeros(self.p)
            for o, n, yb, Sk in self._group_patterns(g):
                So = Sig[np.ix_(o, o)]
                Si = np.linalg.inv(So)
                d = yb - mu[o]
                wk = n / self.N
                Gfull[np.ix_(o, o)] += wk * (Si - Si @ (Sk + np.outer(d, d)) @ Si)
                gmu[o] += wk * (-2.0 * Si @ d)
                if want_info:
                    info += wk * self._info_block(Si, (U[o], V[o], c, DM[o]), (U[o], V[o], c, DM[o]),
                                                  means=True)
            grad += 2.0 * c * np.einsum("iq,iq->q", U, Gfull @ V) + DM.T @ gmu
        return grad, info

    def observed_information(self, x: np.ndarray) -> np.ndarray:
        """Hessian of -logL / N by central differences of the analytic gradient (FIML SEs,
        and the bread of the MLR sandwich, as lavaan's ``information = "observed"``)."""
        q = self.nfree

        def grad(z: np.ndarray) -> np.ndarray:
            return self._grad_info_fiml(z, False)[0] if self.fiml else self.grad_info(z)[0]

        H = np.zeros((q, q))
        for k in range(q):
            h = 1e-5 * max(1.0, abs(x[k]))
            xp, xm = x.copy(), x.copy()
            xp[k] += h
            xm[k] -= h
            H[:, k] = (grad(xp) - grad(xm)) / (2 * h)
        return 0.25 * (H + H.T)  # dF/dx = -2/N dlogL/dx, symmetrised

    def grad_info(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient of F and the expected information per observation (F's Hessian ~ 2 I)."""
        if self.fiml:
            return self._grad_info_fiml(x)
        q = self.nfree
        grad = np.zeros(q)
        info = np.zeros((q, q))
        for g in range(self.G):
            Sig, mu = self.implied(x, g)
            Si = np.linalg.inv(Sig)
            d = self.ybar[g] - mu
            der = self._group_derivatives(x, g)
            grad += self.w[g] * self._gradient(Si, d, g, der)
            info += self.w[g] * self._info_block(Si, der, der)
        return grad, info

    def _gradient(self, Si: np.ndarray, d: np.ndarray, g: int, der: tuple[np.ndarray, ...]) -> np.ndarray:
        U, V, c, DM = der
        M = self.S[g] + (np.outer(d, d) if self.meanstructure else 0.0)
        Gm = Si - Si @ M @ Si
        # sum(G * c (u v' + v u')) = 2 c u' G v
        out = 2.0 * c * np.einsum("iq,iq->q", U, Gm @ V)
        if self.meanstructure:
            out += DM.T @ (-2.0 * Si @ d)
        return out

    def _info_block(self, Si: np.ndarray, a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...],
                    means: bool | None = None) -> np.ndarray:
        """0.5 tr(Si dA Si dB) + dmuA' Si dmuB for all pairs of columns of a and b."""
        Ua, Va, ca, Ma = a
        Ub, Vb, cb, Mb = b
        SUb, SVb = Si @ Ub, Si @ Vb
        # 0.5 tr(Si ca(u v'+v u') Si cb(u2 v2'+v2 u2')) = ca cb [(v'Si u2)(u'Si v2) + (v'Si v2)(u'Si u2)]
        out = np.outer(ca, cb) * ((Va.T @ SUb) * (Ua.T @ SVb) + (Va.T @ SVb) * (Ua.T @ SUb))
        if self.meanstructure if means is None else means:
            out += Ma.T @ Si @ Mb
        return out

    # -- start values
    def start(self) -> np.ndarray:
        x = np.zeros(self.nfree)
        cnt = np.zeros(self.nfree)
        for g in range(self.G):
            S = self.S[g]
            idx = {it: k for k, it in enumerate(self.items)}
            lam = np.zeros((self.p, self.m))
            psi = np.ones(self.m)
            W = np.zeros((self.p, self.m))  # unit-weighted composites, for factor covariances
            for k, f in enumerate(self.factors):
                cols = [idx[i] for i in self.spec.factors[f]]
                Sf = S[np.ix_(cols, cols)]
                if len(cols) >= 2:
                    ev, evec = np.linalg.eigh(Sf)
                    v = evec[:, -1] * np.sqrt(max(ev[-1], 1e-6))
                    if v.sum() < 0:
                        v = -v
                else:
                    v = np.sqrt(np.diag(Sf)) * 0.7
                if not self.std_lv:
                    marker = v[0] if abs(v[0]) > 1e-3 * np.sqrt(Sf[0, 0]) else np.sqrt(Sf[0, 0])
                    psi[k] = marker ** 2
                    v = v / marker
                for c, val in zip(cols, v, strict=True):
                    lam[c, k] = val
                    W[c, k] = 1.0 if val >= 0 else -1.0
            C = W.T @ S @ W
            sdc = np.sqrt(np.maximum(np.diag(C), 1e-12))
            phi = C / np.outer(sdc, sdc) * np.sqrt(np.outer(psi, psi))
            for par in self._gpars[g]:
                if par.free < 0:
                    continue
                if par.kind == _LAMBDA:
                    v = lam[par.i, par.j]
                elif par.kind == _PSI:
                    v = psi[par.i] if par.i == par.j else phi[par.i, par.j]
                elif par.kind == _THETA:
                    v = 0.5 * S[par.i, par.i] if par.i == par.j else 0.0
                elif par.kind == _NU:
                    v = self.ybar[g][par.i]
                else:
                    v = 0.0
                x[par.free] += v
                cnt[par.free] += 1
        return x / np.maximum(cnt, 1)

    # -- fit
    def fit(self, x0: np.ndarray | None = None, max_iter: int = 500, tol: float = 1e-10) -> dict[str, Any]:
        from scipy import linalg, optimize

        self._logdetS = [float(np.linalg.slogdet(S)[1]) for S in self.S]
        # F at the saturated model (0 for complete data by construction of F)
        self.f_h1 = -2.0 * self.loglik_h1() / self.N if self.fiml else 0.0
        x = self.start() if x0 is None else np.array(x0, dtype=float)
        f = self.objective(x)
        if not np.isfinite(f):
            x = self.start()
            f = self.objective(x)
        converged = False
        it = 0
        # Fisher scoring (Gauss-Newton for the ML discrepancy) with step halving
        for it in range(1, max_iter + 1):  # noqa: B007 - `it` is reported after the loop
            grad, info = self.grad_info(x)
            if np.max(np.abs(grad)) < tol:
                converged = True
                break
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", linalg.LinAlgWarning)
                    step = linalg.solve(2.0 * info, grad, assume_a="pos")
            except (linalg.LinAlgError, linalg.LinAlgWarning, ValueError):
                # (nearly) singular information: minimum-norm step
                step = np.linalg.lstsq(2.0 * info, grad, rcond=1e-12)[0]
            t = 1.0
            while t > 1e-10:
                xn = x - t * step
                fn = self.objective(xn)
                if np.isfinite(fn) and fn <= f + 1e-14 * abs(f):
                    break
                t /= 2.0
            else:
                break
            if abs(f - fn) < 1e-15 and np.max(np.abs(x - xn)) < 1e-12:
                x, f = xn, fn
                converged = True
                break
            x, f = xn, fn
        method = "Fisher scoring"
        if not converged:
            # fall back on scipy's quasi-Newton method with the analytic gradient
            def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
                val = self.objective(z)
                if not np.isfinite(val):
                    return 1e10, np.zeros_like(z)
                return val, self.grad_info(z)[0]

            res = optimize.minimize(fun, x, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 5000})
            if res.fun <= f:
                x, f = res.x, float(res.fun)
            grad, _ = self.grad_info(x)
            converged = bool(np.max(np.abs(grad)) < 1e-6)
            method = "Fisher scoring, then scipy BFGS"
        self.x = x
        self.fmin = f
        return {"x": x, "f": f, "converged": converged, "iterations": it, "method": method}

    # -- derived quantities
    @property
    def npar(self) -> int:
        return self.nfree

    @property
    def df(self) -> int:
        mom = self.p * (self.p + 1) // 2 + (self.p if self.meanstructure else 0)
        return self.G * mom - self.nfree

    def loglik(self, x: np.ndarray) -> float:
        if self.fiml:
            return float(-0.5 * self.N * self._objective_fiml(x))
        ll = 0.0
        for g in range(self.G):
            Sig, mu = self.implied(x, g)
            Si = np.linalg.inv(Sig)
            d = self.ybar[g] - mu
            val = self.p * _LOG2PI + np.linalg.slogdet(Sig)[1] + np.sum(self.S[g] * Si)
            if self.meanstructure:
                val += d @ Si @ d
            ll += -0.5 * self.Ng[g] * val
        return float(ll)

    def loglik_h1(self) -> float:
        if self.fiml:
            return float(self._h1_sum("logl"))
        return float(sum(-0.5 * n * (self.p * _LOG2PI + ld + self.p) for n, ld in zip(self.Ng, self._logdetS, strict=True)))

    def baseline_chisq(self) -> float:
        if self.fiml:
            return float(2.0 * (self.loglik_h1() - self._h1_sum("logl_independence")))
        return float(sum(n * (np.sum(np.log(np.diag(S))) - ld) for n, S, ld in zip(self.Ng, self.S, self._logdetS, strict=True)))

    def srmr(self, x: np.ndarray) -> float:
        tot = 0.0
        p = self.p
        il = np.tril_indices(p)
        for g in range(self.G):
            Sig, mu = self.implied(x, g)
            sd = np.sqrt(np.diag(self.S[g]))
            R = (self.S[g] - Sig) / np.outer(sd, sd)
            ss = np.sum(R[il] ** 2)
            e = p * (p + 1) / 2
            if self.meanstructure:
                ss += np.sum(((self.ybar[g] - mu) / sd) ** 2)
                e += p
            tot += self.w[g] * np.sqrt(ss / e)
        return float(tot)


def _fit_indices(eng: _Engine, x: np.ndarray) -> dict[str, float]:
    from scipy import optimize, stats

    N, G, df = eng.N, eng.G, eng.df
    chisq = float(N * (eng.fmin - eng.f_h1))
    chisq = max(chisq, 0.0)
    bchisq = eng.baseline_chisq()
    bdf = G * eng.p * (eng.p - 1) // 2
    pval = float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan
    num = max(chisq - df, 0.0)
    den = max(chisq - df, bchisq - bdf, 0.0)
    cfi = 1.0 - num / den if den > 0 else 1.0
    tli = ((bchisq / bdf - chisq / df) / (bchisq / bdf - 1.0)) if df > 0 else 1.0
    if df > 0:
        rmsea = np.sqrt(max(chisq / N / df - 1.0 / N, 0.0)) * np.sqrt(G)

        def cdf(lam: float) -> float:
            return float(stats.ncx2.cdf(chisq, df, lam)) if lam > 0 else float(stats.chi2.cdf(chisq, df))

        if cdf(0.0) < 0.95:
            lo = 0.0
        else:
            lam = optimize.brentq(lambda v: cdf(v) - 0.95, 0.0, chisq, xtol=1e-12)
            lo = np.sqrt(lam / (N * df)) * np.sqrt(G)
        n_r = max(N, 4 * chisq)
        if cdf(n_r) - 0.05 > 0 or cdf(0.0) - 0.05 < 0:
            hi = 0.0
        else:
            lam = optimize.brentq(lambda v: cdf(v) - 0.05, 0.0, n_r, xtol=1e-12)
            hi = np.sqrt(lam / (N * df)) * np.sqrt(G)
        ncp = N * df * 0.05 ** 2 / G
        pclose = float(stats.ncx2.sf(chisq, df, ncp))
    else:
        rmsea, lo, hi, pclose = 0.0, 0.0, 0.0, np.nan
    logl = eng.loglik(x)
    q = eng.npar
    return {
        "chisq": chisq, "df": float(df), "p_val": pval, "cfi": float(cfi), "tli": float(tli),
        "rmsea": float(rmsea), "rmsea_ci_low": float(lo), "rmsea_ci_high": float(hi),
        "rmsea_p_close": pclose, "srmr": eng.srmr(x),
        "aic": -2.0 * logl + 2.0 * q, "bic": -2.0 * logl + q * np.log(N),
        "loglik": logl, "loglik_unrestricted": eng.loglik_h1(), "npar": float(q),
        "baseline_chisq": bchisq, "baseline_df": float(bdf), "n_obs": float(N),
    }


def _std_values(eng: _Engine, x: np.ndarray) -> np.ndarray:
    """std.all value for every row of the parameter table."""
    out = np.empty(len(eng.pars))
    cache = {}
    for g in range(eng.G):
        L, P, T, nu, al = eng.matrices(x, g)
        Sig = L @ P @ L.T + T
        cache[g] = (np.sqrt(np.diag(Sig)), np.sqrt(np.abs(np.diag(P))), T, P, L, nu, al, Sig)
    for r, q in enumerate(eng.pars):
        sd, psd, T, P, L, nu, al, Sig = cache[q.group]
        if q.kind == _LAMBDA:
            out[r] = L[q.i, q.j] * psd[q.j] / sd[q.i]
        elif q.kind == _PSI:
            out[r] = P[q.i, q.j] / (psd[q.i] * psd[q.j])
        elif q.kind == _THETA:
            if q.i == q.j:
                out[r] = T[q.i, q.i] / Sig[q.i, q.i]
            else:
                out[r] = T[q.i, q.j] / np.sqrt(T[q.i, q.i] * T[q.j, q.j])
        elif q.kind == _NU:
            out[r] = nu[q.i] / sd[q.i]
        else:
            out[r] = al[q.i] / psd[q.i]
    return out


def _labels(eng: _Engine, q: _Par) -> tuple[str, str, str]:
    if q.kind == _LAMBDA:
        return eng.factors[q.j], "=~", eng.items[q.i]
    if q.kind == _PSI:
        return eng.factors[q.i], "~~", eng.factors[q.j]
    if q.kind == _THETA:
        return eng.items[q.i], "~~", eng.items[q.j]
    if q.kind == _NU:
        return eng.items[q.i], "~1", ""
    return eng.factors[q.i], "~1", ""


def _estimates(eng: _Engine, x: np.ndarray, vcov: np.ndarray, group_labels: list[str] | None) -> pd.DataFrame:
    from scipy import stats

    se_free = np.sqrt(np.clip(np.diag(vcov), 0, None))
    std = _std_values(eng, x)
    # delta-method SEs of the standardised values (central differences)
    J = np.zeros((len(eng.pars), eng.nfree))
    for k in range(eng.nfree):
        h = 1e-6 * max(1.0, abs(x[k]))
        xp, xm = x.copy(), x.copy()
        xp[k] += h
        xm[k] -= h
        J[:, k] = (_std_values(eng, xp) - _std_values(eng, xm)) / (2 * h)
    std_se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, vcov, J), 0, None))
    # a standardised value that no parameter moves (a factor variance, always 1) is fixed by
    # definition: no standard error and no z (numerically its SE would be round-off, ~1e-11)
    constant = np.abs(J).max(axis=1, initial=0.0) < 1e-7
    std_se[constant] = np.nan
    rows = []
    for r, q in enumerate(eng.pars):
        lhs, op, rhs = _labels(eng, q)
        free = q.free >= 0
        est = x[q.free] if free else q.value
        se = se_free[q.free] if free else np.nan   # fixed parameters have no SE and no z
        z = est / se if free and se > 0 else np.nan
        sse = std_se[r]
        rows.append({
            "group": group_labels[q.group] if group_labels else None,
            "lhs": lhs, "op": op, "rhs": rhs, "free": free, "equal_across_groups": bool(q.shared),
            "est": float(est), "se": float(se), "z": float(z),
            "p_val": np.nan,
            "ci_low": float(est - 1.959963984540054 * se) if free else float(est),
            "ci_high": float(est + 1.959963984540054 * se) if free else float(est),
            "std_all": float(std[r]), "std_se": float(sse),
            "std_z": float(std[r] / sse) if sse > 0 else np.nan,   # NaN when sse is NaN
        })
    df = pd.DataFrame(rows)
    df["p_val"] = 2.0 * stats.norm.sf(np.abs(df["z"].to_numpy()))  # NaN stays NaN for fixed values
    if not group_labels:
        df = df.drop(columns=["group", "equal_across_groups"])
    return df


def _score_tests(eng: _Engine, x: np.ndarray, candidates: list[tuple[int, _Par]]) -> list[dict[str, float]]:
    """Score (Lagrange multiplier) tests for freeing each candidate element.

    ``candidates`` are (group, pseudo parameter) pairs; each is a new free element in that
    group only (a fixed-to-zero loading or residual covariance, or a group's copy of an
    equality-constrained parameter).
    """
    _, info = eng.grad_info(x)
    try:
        Iinv = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        Iinv = np.linalg.pinv(info)
    out = []
    by_group: dict[int, list[_Par]] = {}
    for g, q in candidates:
        by_group.setdefault(g, []).append(q)
    res = {}
    for g, qs in by_group.items():
        L, P, T, nu, al = eng.matrices(x, g)
        Sig = L @ P @ L.T + T
        mu = nu + L @ al
        Si = np.linalg.inv(Sig)
        d = eng.ybar[g] - mu
        der_f = eng._group_derivatives(x, g)
        der_c = eng.derivatives(qs, list(range(len(qs))), len(qs), L, P, al)
        w = eng.w[g]
        gradc = w * eng._gradient(Si, d, g, der_c)
        Icc = w * eng._info_block(Si, der_c, der_c)
        Icf = w * eng._info_block(Si, der_c, der_f)
        V = np.diag(Icc) - np.einsum("ij,jk,ik->i", Icf, Iinv, Icf)
        s = -0.5 * gradc
        for k, q in enumerate(qs):
            v = V[k]
            if v <= 1e-12:
                res[(g, id(q))] = (np.nan, np.nan)
            else:
                res[(g, id(q))] = (eng.N * s[k] ** 2 / v, s[k] / v)
    for g, q in candidates:
        mi, epc = res[(g, id(q))]
        out.append({"mi": float(mi), "epc": float(epc)})
    return out


def _modification_indices(eng: _Engine, x: np.ndarray, group_labels: list[str] | None) -> pd.DataFrame:
    from scipy import stats

    cands: list[tuple[int, _Par]] = []
    loaded = {(q.i, q.j) for q in eng.pars if q.kind == _LAMBDA}
    rescov = {(q.i, q.j) for q in eng.pars if q.kind == _THETA}
    for g in range(eng.G):
        for k in range(eng.m):
            for i in range(eng.p):
                if (i, k) not in loaded:
                    cands.append((g, _Par(g, _LAMBDA, i, k, -1, 0.0, "")))
        for i in range(eng.p):
            for j in range(i + 1, eng.p):
                if (i, j) not in rescov:
                    cands.append((g, _Par(g, _THETA, i, j, -1, 0.0, "")))
    if not cands:
        return pd.DataFrame(columns=["lhs", "op", "rhs", "mi", "p_val", "epc", "sepc_all"])
    res = _score_tests(eng, x, cands)
    rows = []
    for (g, q), r in zip(cands, res, strict=True):
        L, P, T, nu, al = eng.matrices(x, g)
        Sig = L @ P @ L.T + T
        lhs, op, rhs = _labels(eng, q)
        if q.kind == _LAMBDA:
            sepc = r["epc"] * np.sqrt(abs(P[q.j, q.j])) / np.sqrt(Sig[q.i, q.i])
        else:
            sepc = r["epc"] / np.sqrt(abs(T[q.i, q.i] * T[q.j, q.j]))
        rows.append({"group": group_labels[g] if group_labels else None, "lhs": lhs, "op": op, "rhs": rhs,
                     "mi": r["mi"], "p_val": np.nan,
                     "epc": r["epc"], "sepc_all": float(sepc)})
    df = pd.DataFrame(rows)
    df["p_val"] = stats.chi2.sf(df["mi"].to_numpy(), 1)
    df = df.sort_values("mi", ascending=False, kind="stable").reset_index(drop=True)
    if not group_labels:
        df = df.drop(columns="group")
    return df


# --------------------------------------------------------------------------- data


def _patterns(X: np.ndarray) -> list[tuple[np.ndarray, int, np.ndarray, np.ndarray]]:
    """Missing-data patterns: (observed columns, n, mean, covariance with divisor n) per pattern."""
    obs = ~np.isnan(X)
    keys, inv = np.unique(obs, axis=0, return_inverse=True)
    out = []
    for k, key in enumerate(keys):
        o = np.flatnonzero(key)
        Xk = X[inv.ravel() == k][:, o]
        n = Xk.shape[0]
        m = Xk.mean(axis=0)
        C = Xk - m
        out.append((o, n, m, C.T @ C / n))
    return out


def _em_saturated(X: np.ndarray, pats: list, tol: float = 1e-12, max_iter: int = 10000
                  ) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """ML mean and covariance of incomplete normal data by EM (the FIML 'h1' model)."""
    n, p = X.shape
    mu = np.nanmean(X, axis=0)
    Sig = np.diag(np.nanvar(X, axis=0))
    # sufficient statistics per pattern
    stats_ = [(o, k, k * m, k * (S + np.outer(m, m))) for o, k, m, S in pats]
    converged = False
    for _ in range(max_iter):
        T1 = np.zeros(p)
        T2 = np.zeros((p, p))
        for o, k, s1, s2 in stats_:
            if len(o) == p:
                T1 += s1
                T2 += s2
                continue
            mis = np.setdiff1d(np.arange(p), o)
            Soo = Sig[np.ix_(o, o)]
            B = np.linalg.solve(Soo, Sig[np.ix_(o, mis)]).T  # regression of missing on observed
            Cmm = Sig[np.ix_(mis, mis)] - B @ Sig[np.ix_(o, mis)]
            # centred observed sums
            r1 = s1 - k * mu[o]
            r2 = s2 - np.outer(s1, mu[o]) - np.outer(mu[o], s1) + k * np.outer(mu[o], mu[o])
            xm = k * mu[mis] + B @ r1
            T1[o] += s1
            T1[mis] += xm
            T2[np.ix_(o, o)] += s2
            om = np.outer(s1, mu[mis]) + (s2 - np.outer(s1, mu[o])) @ B.T
            T2[np.ix_(o, mis)] += om
            T2[np.ix_(mis, o)] += om.T
            T2[np.ix_(mis, mis)] += (k * np.outer(mu[mis], mu[mis]) + np.outer(mu[mis], B @ r1)
                                     + np.outer(B @ r1, mu[mis]) + B @ r2 @ B.T + k * Cmm)
        mu_new = T1 / n
        Sig_new = T2 / n - np.outer(mu_new, mu_new)
        delta = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(Sig_new - Sig)))
        mu, Sig = mu_new, Sig_new
        if delta < tol:
            converged = True
            break
    ll = 0.0
    for o, k, m, S in pats:
        So = Sig[np.ix_(o, o)]
        d = m - mu[o]
        Si = np.linalg.inv(So)
        ll += -0.5 * k * (len(o) * _LOG2PI + np.linalg.slogdet(So)[1] + np.sum(Si * S) + d @ Si @ d)
    return mu, Sig, float(ll), converged


def _prepare(df: pd.DataFrame, items: list[str], group: str | None, missing: str
             ) -> tuple[list[_Sample], list[str] | None, dict[str, Any]]:
    missing = str(missing).lower()
    if missing in ("ml", "fiml", "direct"):
        missing = "fiml"
    if missing not in ("listwise", "fiml"):
        raise AnalysisError(
            f"missing='{missing}' is not available; use 'listwise' (drop every person with a missing "
            "answer on a model item) or 'fiml' (full-information maximum likelihood).")
    fiml = missing == "fiml"
    X = _numeric_items(df, items)
    n_in = len(df)
    keep = ~np.isnan(X).all(axis=1) if fiml else ~np.isnan(X).any(axis=1)
    labels = None
    gcol = None
    n_group_missing = 0
    if group is not None:
        gcol = df[group]
        gmiss = gcol.isna().to_numpy()
        n_group_missing = int((gmiss & keep).sum())
        keep &= ~gmiss
    n_drop = int(n_in - keep.sum())
    info: dict[str, Any] = {"n_input": n_in, "n_dropped": n_drop, "n_dropped_group": n_group_missing,
                            "missing": missing}
    if n_drop:
        why = ("no answer on any model item" if fiml else "a missing answer on a model item")
        msg = (f"{n_drop} of {n_in} rows were dropped ({'FIML' if fiml else 'listwise deletion'}: {why}"
               + (" or a missing group" if group is not None else "") + ").")
        warnings.warn(msg, MissingDataWarning, stacklevel=3)
    X = X[keep]
    if gcol is None:  # no group column
        parts = [X]
    else:
        gv = gcol.to_numpy(dtype=object)[keep]
        labels = [str(v) for v in pd.unique(pd.Series(gv, dtype=object))]
        gs = np.array([str(v) for v in gv], dtype=object)
        parts = [X[gs == lab] for lab in labels]
        if len(labels) < 2:
            raise AnalysisError(f"The group column '{group}' has fewer than two groups after removing "
                                "rows with missing data.")
    samples: list[_Sample] = []
    info["n_incomplete"] = []
    for k, Xg in enumerate(parts):
        n, p = Xg.shape
        where = f" in group '{labels[k]}'" if labels else ""
        if n <= p:
            raise AnalysisError(
                f"Only {n} {'usable' if fiml else 'complete'} cases{where} for {p} items; a CFA needs more "
                "people than items (ideally 200 or more).")
        if fiml:
            pats = _patterns(Xg)
            nobs_item = (~np.isnan(Xg)).sum(axis=0)
            if np.any(nobs_item < 2):
                bad = [items[j] for j in np.flatnonzero(nobs_item < 2)]
                raise AnalysisError(f"Item(s) {', '.join(bad)} have fewer than two answers{where}.")
            ybar, S, ll, conv = _em_saturated(Xg, pats)
            if not conv:
                warnings.warn(f"The EM estimate of the unrestricted model{where} did not converge; "
                              "chi-square and fit indices may be inaccurate.", ConvergenceWarning, stacklevel=3)
            v = np.nanvar(Xg, axis=0)
            ll_ind = float(sum(-0.5 * c * (_LOG2PI + np.log(vj) + 1.0) for c, vj in zip(nobs_item, v, strict=True)))
            info["n_incomplete"].append(int(np.isnan(Xg).any(axis=1).sum()))
        else:
            ybar = Xg.mean(axis=0)
            C = Xg - ybar
            S = C.T @ C / n
        sd = np.sqrt(np.diag(S))
        if np.any(sd == 0):
            bad = [items[j] for j in np.flatnonzero(sd == 0)]
            raise AnalysisError(f"Item(s) {', '.join(bad)} have no variance{where}; remove them from the model.")
        ev = np.linalg.eigvalsh(S / np.outer(sd, sd))
        if ev[0] < 1e-10:
            raise AnalysisError(
                f"The item covariance matrix{where} is singular (some items are exact copies or linear "
                "combinations of others); remove the redundant items.")
        if fiml:
            samples.append((S, ybar, n, pats, {"logl": ll, "logl_independence": ll_ind}))
        else:
            samples.append((S, ybar, n))
    info["n_obs"] = [s[2] for s in samples]
    info["raw"] = parts  # casewise data per group (robust estimators need the cases)
    return samples, labels, info


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, repr=False)
class CFAResult(ResultMixin):
    """Result of :func:`cfa`.

    Attributes
    ----------
    fit : dict
        Fit measures: ``chisq``, ``df``, ``p_val``, ``cfi``, ``tli``, ``rmsea``,
        ``rmsea_ci_low``, ``rmsea_ci_high`` (90%), ``rmsea_p_close``, ``srmr``, ``aic``,
        ``bic``, ``loglik``, ``loglik_unrestricted``, ``npar``, ``baseline_chisq``,
        ``baseline_df``, ``n_obs``.
    estimates : DataFrame
        One row per parameter: ``lhs op rhs`` as lavaan (``=~`` loading, ``~~`` (co)variance,
        ``~1`` intercept/mean), ``free``, (multi-group: ``group``, ``equal_across_groups``), ``est``, ``se``, ``z``, ``p_val``, ``ci_low``,
        ``ci_high``, standardised ``std_all`` with ``std_se`` and ``std_z``.
    loadings : DataFrame
        Standardised loadings, items x factors (0 where an item does not load).
    modification_indices : DataFrame
        Score tests for each fixed-to-zero cross-loading and residual covariance, largest first
        (``mi``, ``p_val``, ``epc``, ``sepc_all``).
    model : ModelSpec
    n_obs, n_dropped : int
    identification, estimator, missing, converged, iterations, optimizer
    """

    fit: dict[str, float]
    estimates: pd.DataFrame
    loadings: pd.DataFrame
    modification_indices: pd.DataFrame
    model: ModelSpec
    n_obs: int
    n_dropped: int
    identification: str
    estimator: str = "ML"
    missing: str = "listwise"
    converged: bool = True
    iterations: int = 0
    optimizer: str = ""
    source: str = "user model"
    n_incomplete: int = 0
    group_labels: tuple[str, ...] = ()
    group_n: tuple[int, ...] = ()
    constraints: tuple[str, ...] = ()
    _extra_notes: tuple[str, ...] = field(default=())

    @property
    def _title(self) -> str:  # type: ignore[override]
        return f"Confirmatory factor analysis ({self.estimator})"

    @property
    def summary(self) -> pd.DataFrame:
        """Fit measures as a two-column table (``measure``, ``value``)."""
        order = ["n_obs", "npar", "chisq", "df", "p_val", "cfi", "tli", "rmsea", "rmsea_ci_low",
                 "rmsea_ci_high", "rmsea_p_close", "srmr", "aic", "bic", "loglik"]
        if self.estimator == "MLR":
            order[5:5] = ["chisq_scaled", "p_val_scaled", "scaling_factor", "cfi_robust", "tli_robust",
                          "rmsea_robust", "rmsea_ci_low_robust", "rmsea_ci_high_robust"]
        return pd.DataFrame({"measure": order, "value": [self.fit[k] for k in order]})

    @property
    def standardized_loadings(self) -> pd.DataFrame:
        """Loading rows of :attr:`estimates` (factor, item, est, std_all, std_se, ...)."""
        est = self.estimates
        return est[est["op"] == "=~"].rename(columns={"lhs": "factor", "rhs": "item"}).reset_index(drop=True)

    def _notes(self) -> list[str]:
        f = self.fit
        robust = []
        if self.estimator == "MLR":
            robust.append(
                "Robust ML (MLR, as lavaan's estimator = \"MLR\"): ML estimates; Huber-White (sandwich) standard "
                "errors with the observed information as bread and the casewise first-order information as "
                "meat; Yuan-Bentler scaled chi-square (lavaan's \"yuan.bentler.mplus\" test): chisq_scaled = "
                f"chisq / {f['scaling_factor']:.4f} = {f['chisq_scaled']:.3f}, p = {f['p_val_scaled']:.4g}; "
                "robust CFI/TLI/RMSEA as lavaan's .robust columns (Brosseau-Liard & Savalei"
                + ("; with FIML, Savalei's FIML-corrected versions as lavaan" if self.missing == "fiml" else "")
                + f"): CFI = {f['cfi_robust']:.3f}, TLI = {f['tli_robust']:.3f}, RMSEA = "
                f"{f['rmsea_robust']:.3f} [{f['rmsea_ci_low_robust']:.3f}, {f['rmsea_ci_high_robust']:.3f}].")
        lines = [
            f"Model: {'; '.join(self.model.to_syntax().splitlines())} ({self.source}).",
            ("Estimator: maximum likelihood on the covariance matrix (divisor N, lavaan's convention); "
             "chi-square = N x F_ML; standard errors from the "
             + ("sandwich (see below); " if self.estimator == "MLR" else "expected information; ")
             if self.missing == "listwise"
             else "Estimator: full-information maximum likelihood (chi-square = 2 x (logL_h1 - logL)); ")
            + f"{self.optimizer}"
            f"{'' if self.converged else ' - DID NOT CONVERGE'}.",
            f"Identification: {self.identification}.",
            (f"Missing data: listwise deletion; {self.n_obs} complete cases used, {self.n_dropped} dropped."
             if self.missing == "listwise" else
             f"Missing data: full-information ML (FIML, casewise likelihood; the unrestricted model by EM); "
             f"{self.n_obs} cases used, {self.n_incomplete} of them incomplete; {self.n_dropped} dropped "
             "(no answer on any item). Standard errors from the "
             + ("sandwich (see below)" if self.estimator == "MLR" else "observed information")
             + "; SRMR uses the EM means and covariances; modification indices are not computed with FIML."),
            "Fit: CFI/TLI against the independence model; RMSEA with N (x sqrt(G) for G groups), 90% CI, "
            "p-close tests RMSEA <= .05; SRMR is Bentler's (as lavaan's 'srmr'); AIC/BIC from the full "
            "normal log-likelihood.",
            f"chi2({f['df']:.0f}) = {f['chisq']:.3f}, p = {f['p_val']:.4g}; CFI = {f['cfi']:.3f}, "
            f"TLI = {f['tli']:.3f}, RMSEA = {f['rmsea']:.3f} [{f['rmsea_ci_low']:.3f}, "
            f"{f['rmsea_ci_high']:.3f}], SRMR = {f['srmr']:.3f}.",
            *robust,
        ]
        if self.group_labels:
            lines.append("Groups: " + ", ".join(f"{g} (n = {n})" for g, n in zip(self.group_labels, self.group_n, strict=True))
                         + (f"; equal across groups: {', '.join(self.constraints)}" if self.constraints else
                            "; no equality constraints"))
        lines += list(self._extra_notes)
        return lines

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        d = super().to_dict()
        d["fit"] = dict(self.fit)
        d["estimates"] = to_jsonable(self.estimates)
        d["modification_indices"] = to_jsonable(self.modification_indices.head(20))
        d["model"] = self.model.to_syntax()
        return d


def _check_solution(eng: _Engine, x: np.ndarray) -> list[str]:
    notes = []
    for g in range(eng.G):
        L, P, T, *_ = eng.matrices(x, g)
        neg = [eng.items[i] for i in range(eng.p) if T[i, i] < 0]
        if neg:
            warnings.warn(
                f"Negative residual variance (Heywood case) for item(s) {', '.join(neg)}; the solution is "
                "improper. Check the model (too few items per factor, a misassigned item) before using it.",
                HeywoodCaseWarning, stacklevel=3)
            notes.append(f"Heywood case: negative residual variance for {', '.join(neg)}.")
        ev = np.linalg.eigvalsh(P)
        if ev[0] < 0:
            warnings.warn("The factor covariance matrix is not positive definite (a factor correlation "
                          "beyond +-1 or a negative factor variance); the solution is improper.",
                          HeywoodCaseWarning, stacklevel=3)
            notes.append("Improper solution: factor covariance matrix not positive definite.")
    return notes


#: estimators cfa() and invariance() accept; the ordinal estimators are dispatched in _check_estimator
ESTIMATORS = ("ML", "MLR")
_PLANNED = ("WLSMV", "ULSMV", "WLS", "DWLS", "ULS")


def _check_estimator(estimator: str) -> str:
    """Normalise an estimator name, or say plainly that it is not available (dispatch point
    for the ordinal estimators: add them to ``ESTIMATORS`` and branch on the name in ``cfa``)."""
    name = str(estimator).strip().upper()
    if name in ESTIMATORS:
        return name
    if name in _PLANNED:
        raise AnalysisError(
            f"estimator='{estimator}' (for ordered items) is not available in this version; use 'ML' or "
            "'MLR' (robust ML: sandwich standard errors and a scaled chi-square, suitable for "
            "non-normal Likert items).")
    raise AnalysisError(f"Unknown estimator '{estimator}'; use one of {', '.join(ESTIMATORS)}.")


def _mlr(eng: _Engine, x: np.ndarray, A0: np.ndarray, raw: Sequence[np.ndarray]
         ) -> tuple[np.ndarray, dict[str, float]]:
    """Robust ML as lavaan's ``estimator = "MLR"``: Huber-White standard errors (observed
    information as bread, first-order information from the casewise scores at the model as
    meat) and the Yuan-Bentler scaled chi-square (lavaan's ``yuan.bentler.mplus`` test), with
    the baseline model's scaling factor for the robust CFI/TLI."""
    from scipy import stats

    from compassion_scales.stats import robust as rb

    N, G, ms = eng.N, eng.G, eng.meanstructure
    E_inv = np.linalg.inv(A0)
    q = eng.nfree
    B = np.zeros((q, q))
    tr_model = 0.0
    tr_null = 0.0
    for g in range(G):
        Y = raw[g]
        n_g = float(Y.shape[0])
        fg = n_g / N
        Sig, mu = eng.implied(x, g)
        U, V, c, DM = eng._group_derivatives(x, g)
        Delta = rb.delta_matrix(U, V, c, DM if ms else None)
        mu_model = mu if ms else eng.ybar[g]
        sc = rb.saturated_scores(Y, mu_model, Sig, meanstructure=ms) @ Delta
        B0 = sc.T @ sc / n_g
        B += fg * B0
        # unrestricted (h1) model: sample moments, or the EM estimates with missing data
        mu1, S1 = eng.ybar[g], eng.S[g]
        s1 = rb.saturated_scores(Y, mu1, S1, meanstructure=ms)
        B1 = s1.T @ s1 / n_g
        A1 = (rb.saturated_observed_information(Y, mu1, S1, meanstructure=ms) if eng.fiml
              else rb.saturated_information(S1, meanstructure=ms))
        h1, h0 = rb.yuan_bentler_trace(A1, B1, B0, E_inv, fg)
        tr_model += h1 - h0
        # baseline (independence) model: each item's own mean and variance
        obs = ~np.isnan(Y)
        m0 = np.nanmean(Y, axis=0)
        v0 = np.nanvar(Y, axis=0)
        p = eng.p
        r, cc = rb.vech_index(p)
        Dn_s = np.zeros((r.size, p))
        Dn_s[np.flatnonzero(r == cc), np.arange(p)] = 1.0
        Dn = np.vstack([np.hstack([np.eye(p), np.zeros((p, p))]), np.hstack([np.zeros((r.size, p)), Dn_s])]) \
            if ms else Dn_s
        s0 = rb.saturated_scores(Y, m0, np.diag(v0), meanstructure=ms) @ Dn
        B0n = s0.T @ s0 / n_g
        share = obs.sum(axis=0) / n_g  # observed information of each item's mean and variance
        A0n = np.diag(np.concatenate([share / v0, 0.5 * share / v0**2]) if ms else 0.5 * share / v0**2)
        tr_null += h1 - float(np.sum(B0n * np.linalg.inv(A0n).T))
    vcov = rb.sandwich(E_inv, B, N)
    df = float(eng.df)
    chisq = float(N * (eng.fmin - eng.f_h1))
    chisq = max(chisq, 0.0)
    bchisq = eng.baseline_chisq()
    bdf = float(G * eng.p * (eng.p - 1) // 2)
    cs = tr_model / df if df > 0 else np.nan
    if not cs > 0:
        cs = np.nan
    c0 = tr_null / bdf
    out: dict[str, float] = {
        "chisq_scaled": chisq / cs if df > 0 else chisq,
        "p_val_scaled": float(stats.chi2.sf(chisq / cs, df)) if df > 0 else np.nan,
        "scaling_factor": float(cs),
        "baseline_chisq_scaled": bchisq / c0,
        "baseline_scaling_factor": float(c0),
    }
    X3, X3_null, c3, c3_null = chisq, bchisq, cs, c0
    if eng.fiml:
        X3, X3_null, c3, c3_null = _fiml_corrected(eng, x, raw)
    lo, hi = rb.rmsea_ci(X3 / c3, df, N, c=c3, groups=G)
    out.update({
        "cfi_robust": rb.robust_cfi(X3, df, X3_null, bdf, c3, c3_null),
        "tli_robust": rb.robust_tli(X3, df, X3_null, bdf, c3, c3_null),
        "rmsea_robust": rb.robust_rmsea(X3, df, N, c3, G),
        "rmsea_ci_low_robust": lo, "rmsea_ci_high_robust": hi,
    })
    return vcov, out


def _fiml_corrected(eng: _Engine, x: np.ndarray, raw: Sequence[np.ndarray]) -> tuple[float, float, float, float]:
    """lavaan's ``lav_fit_fiml_corrected`` (V3): the complete-data ML statistic of the model
    and of the independence model at their FIML estimates, evaluated on the EM moments, and
    their FIML-corrected scaling factors (robust CFI/TLI/RMSEA with missing data)."""
    from compassion_scales.stats import robust as rb

    G, p = eng.G, eng.p
    fg = eng.Ng / eng.N
    r, cc = rb.vech_index(p)
    Wm, Jm, Wc, Dm, Dn = [], [], [], [], []
    X3 = X3n = 0.0
    nnull = 2 * p
    for g in range(G):
        Y, mu1, S1 = raw[g], eng.ybar[g], eng.S[g]
        n_g = float(Y.shape[0])
        Wm.append(rb.saturated_observed_information(Y, mu1, S1))
        s1 = rb.saturated_scores(Y, mu1, S1)
        Jm.append(s1.T @ s1 / n_g)
        Wc.append(rb.saturated_information(S1))
        U, V, c, DM = eng._group_derivatives(x, g)
        Dm.append(rb.delta_matrix(U, V, c, DM))
        Dg = np.zeros((p + r.size, G * nnull))
        Dg[np.arange(p), g * nnull + np.arange(p)] = 1.0
        Dg[p + np.flatnonzero(r == cc), g * nnull + p + np.arange(p)] = 1.0
        Dn.append(Dg)
        Sig, mu = eng.implied(x, g)
        X3 += n_g * _ml_discrepancy(S1, mu1, Sig, mu)
        m0, v0 = np.nanmean(Y, axis=0), np.nanvar(Y, axis=0)
        X3n += n_g * _ml_discrepancy(S1, mu1, np.diag(v0), m0)
    k = rb.fiml_corrected_scaling(Wm, Jm, Wc, Dm, fg)
    kn = rb.fiml_corrected_scaling(Wm, Jm, Wc, Dn, fg)
    return X3, X3n, k / eng.df, kn / (G * p * (p - 1) / 2)


def _ml_discrepancy(S: np.ndarray, ybar: np.ndarray, Sig: np.ndarray, mu: np.ndarray) -> float:
    """Complete-data ML discrepancy with a mean structure (lavaan's F_ML x 2)."""
    Si = np.linalg.inv(Sig)
    d = ybar - mu
    return float(np.linalg.slogdet(Sig)[1] + np.sum(S * Si) - np.linalg.slogdet(S)[1] - len(S) + d @ Si @ d)


def _run(spec: ModelSpec, samples: list, labels: list[str] | None, *, std_lv: bool, meanstructure: bool,
         equal: Sequence[str] = (), released: Sequence[tuple[str, int]] = (), x0: np.ndarray | None = None,
         with_mi: bool = True, estimator: str = "ML", raw: Sequence[np.ndarray] | None = None
         ) -> tuple[_Engine, dict[str, Any]]:
    eng = _Engine(spec, samples, std_lv=std_lv, meanstructure=meanstructure, equal=equal, released=released)
    if eng.df < 0:
        raise AnalysisError(
            f"The model has more free parameters ({eng.npar}) than the data have variances and covariances; "
            "it is not identified. Add items or remove factors.")
    opt = eng.fit(x0)
    x = opt["x"]
    if not opt["converged"]:
        warnings.warn("The CFA estimation did not converge; the estimates and fit indices may be wrong.",
                      ConvergenceWarning, stacklevel=3)
    robust = estimator == "MLR"
    info = eng.observed_information(x) if (eng.fiml or robust) else eng.grad_info(x)[1]
    try:
        vcov = np.linalg.inv(eng.N * info)
    except np.linalg.LinAlgError:
        vcov = np.full((eng.nfree, eng.nfree), np.nan)
        warnings.warn("The information matrix is singular: the model may not be identified; standard "
                      "errors are not available.", ConvergenceWarning, stacklevel=3)
    fit = _fit_indices(eng, x)
    if robust:
        if raw is None:  # pragma: no cover - _prepare always keeps the cases
            raise AnalysisError("Internal error: robust ML needs the individual answers.")
        vcov, extra = _mlr(eng, x, info, raw)
        fit.update(extra)
    out = {
        "opt": opt, "x": x, "vcov": vcov, "fit": fit,
        "estimates": _estimates(eng, x, vcov, labels),
    }
    if with_mi:
        out["mi"] = (_modification_indices(eng, x, labels) if not eng.fiml else
                     pd.DataFrame(columns=["lhs", "op", "rhs", "mi", "p_val", "epc", "sepc_all"]))
    return eng, out


def cfa(data: pd.DataFrame, model: Any, *, estimator: str = "ML", missing: str = "listwise",
        std_lv: bool = False, group: str | None = None, group_equal: Sequence[str] = (),
        scores: Sequence[str] | None = None, ordered: bool | Sequence[str] | None = None,
        parameterization: str = "delta", column_map: Mapping[str, str] | None = None,
        patterns: Mapping[str, str] | Sequence[str] | str | None = None,
        on_invalid: str = "error") -> Any:
    """Confirmatory factor analysis by maximum likelihood (as ``lavaan::cfa``).

    Parameters
    ----------
    data : DataFrame
        One row per person, one column per item (plus the group column, if any).
    model : str, dict, Instrument or ModelSpec
        An instrument id or :class:`~compassion_scales.instrument.Instrument` (each item-based
        score becomes a factor measured by its items, reverse-keyed items recoded; total scores
        that contain other scores are skipped), a dict ``{"factor": ["item", ...]}``, or
        lavaan-style text ``"visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6"``
        (``item1 ~~ item2`` adds a residual covariance).
    estimator : {"ML", "MLR"}
        ``"ML"``: normal-theory maximum likelihood. ``"MLR"``: robust ML as lavaan's
        ``estimator = "MLR"``: the same estimates with Huber-White (sandwich) standard errors
        (observed information as bread, casewise first-order information as meat), the
        Yuan-Bentler scaled chi-square (lavaan's ``"yuan.bentler.mplus"`` test: ``chisq_scaled``,
        ``scaling_factor``, ``p_val_scaled``, and ``baseline_chisq_scaled``,
        ``baseline_scaling_factor``) and robust fit indices (``cfi_robust``, ``tli_robust``,
        ``rmsea_robust`` with ``rmsea_ci_low_robust``/``rmsea_ci_high_robust``), as lavaan's
        ``.robust`` columns (with ``missing="fiml"``, lavaan's FIML-corrected versions).
        Ordinal estimators (WLSMV, ULSMV) raise an error in this version.
    missing : {"listwise", "fiml"}
        ``"listwise"`` (default): rows with a missing answer on any model item are dropped (a
        :class:`~compassion_scales.errors.MissingDataWarning` says how many). ``"fiml"`` (also
        ``"ml"``): full-information maximum likelihood as lavaan's ``missing = "fiml"`` (casewise
        likelihood, a mean structure, the unrestricted model by EM, standard errors from the
        observed information; rows with no answer at all are dropped). Modification indices are
        not computed with FIML.
    std_lv : bool
        Identify each factor by fixing its variance to 1 (all loadings free) instead of fixing
        its first loading to 1 (marker variable, lavaan's default).
    group : str, optional
        Column defining groups for a multi-group model (with a mean structure; intercepts free).
        Use :func:`~compassion_scales.analyses.invariance.invariance` for invariance testing.
    group_equal : sequence of str
        With ``group``: parameters held equal across groups, as lavaan's ``group.equal``
        (``"loadings"``, ``"intercepts"``, ``"residuals"``, ``"lv.variances"``,
        ``"lv.covariances"``, ``"residual.covariances"``).
    scores : sequence of str, optional
        With an instrument: the score ids to use as factors.
    ordered : True or sequence of str, optional
        Treat the items as ordered categories (all model items: ``True`` or their names):
        thresholds and polychoric correlations, fitted by ``estimator="WLSMV"`` (the default
        then) or ``"ULSMV"``, as ``lavaan::cfa(..., ordered = ...)``; returns an
        :class:`~compassion_scales.analyses.ordinal_cfa.OrdinalCFAResult`. ``estimator="WLSMV"`` or
        ``"ULSMV"`` alone also treats every item as ordered.
    parameterization : {"delta", "theta"}
        With ordered items: lavaan's parameterisation of the latent responses.

    Returns
    -------
    CFAResult or OrdinalCFAResult

    Raises
    ------
    AnalysisError
        Items missing from the data, too few complete cases, singular covariance matrix,
        unidentified model, or an unsupported option.

    Warns
    -----
    MissingDataWarning
        When rows were dropped because of missing answers.
    HeywoodCaseWarning
        When a residual variance is negative or the factor covariance matrix is improper.
    ConvergenceWarning
        When the optimiser does not converge.

    Notes
    -----
    The ML discrepancy is
    :math:`F = \\log|\\Sigma| + \\operatorname{tr}(S\\Sigma^{-1}) - \\log|S| - p`
    (plus :math:`(\\bar y - \\mu)'\\Sigma^{-1}(\\bar y - \\mu)` with a mean structure) with
    :math:`S` the covariance matrix with divisor N; :math:`\\chi^2 = N F`. It is minimised by
    Fisher scoring with step halving (scipy's BFGS with the analytic gradient as a fallback).

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
    Statistical Software, 48(2), 1-36.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1, .4], [0, .9]])
    >>> items = np.tile(f, 3) * .8 + rng.normal(scale=.6, size=(300, 6))
    >>> df = pd.DataFrame(items, columns=["a1", "b1", "a2", "b2", "a3", "b3"])
    >>> res = cfa(df, "A =~ a1 + a2 + a3; B =~ b1 + b2 + b3")
    >>> res.fit["df"]
    8.0
    >>> bool(res.fit["cfi"] > .95)
    True
    """
    if ordered or str(estimator).upper() in ("WLSMV", "ULSMV"):
        # ordinal items: thresholds + polychoric correlations, DWLS/ULS (compassion_scales.analyses.ordinal_cfa)
        from compassion_scales.analyses.ordinal_cfa import fit_ordinal_cfa_model

        if group is not None or group_equal:
            raise AnalysisError("Multi-group ordinal (WLSMV/ULSMV) CFA is not available; fit each group "
                                "separately or use estimator='ML'.")
        est = str(estimator).upper()
        if est not in ("ML", "WLSMV", "ULSMV"):
            raise AnalysisError(f"estimator='{estimator}' is not available with ordered items; use 'WLSMV' "
                                "(the default for ordered items) or 'ULSMV'.")
        from compassion_scales._inputs import InputOptions

        spec, df, source = _resolve(data, model, scores,
                                    options=InputOptions.of(column_map, patterns, on_invalid))
        return fit_ordinal_cfa_model(df, spec, estimator="WLSMV" if est == "ML" else est,
                                     std_lv=std_lv, parameterization=parameterization, source=source,
                                     ordered=None if ordered is None or ordered is False else ordered,
                                     missing=missing)
    estimator = _check_estimator(estimator)
    extra = [group] if group is not None else []
    if group is not None and group not in data.columns:
        raise AnalysisError(f"The group column '{group}' is not in the data.")
    from compassion_scales._inputs import InputOptions

    spec, df, source = _resolve(data, model, scores, extra_cols=extra,
                                options=InputOptions.of(column_map, patterns, on_invalid))
    samples, labels, info = _prepare(df, spec.items, group, missing)
    meanstructure = group is not None or info["missing"] == "fiml"
    if isinstance(group_equal, str):
        group_equal = [group_equal]
    group_equal = tuple(group_equal)
    unknown = set(group_equal) - {"loadings", "intercepts", "residuals", "lv.variances", "lv.covariances",
                                  "residual.covariances"}
    if unknown:
        raise AnalysisError(
            f"Unknown group_equal value(s): {', '.join(sorted(unknown))}. Use loadings, intercepts, residuals, "
            "lv.variances, lv.covariances or residual.covariances.")
    if group_equal and group is None:
        raise AnalysisError("group_equal needs a group column (group=...).")
    eng, out = _run(spec, samples, labels, std_lv=std_lv, meanstructure=meanstructure, equal=group_equal,
                    estimator=estimator, raw=info["raw"])
    notes = _check_solution(eng, out["x"])
    return _make_result(spec, eng, out, info, labels, std_lv, source, group_equal, notes, estimator=estimator)


def _make_result(spec: ModelSpec, eng: _Engine, out: dict, info: dict, labels: list[str] | None, std_lv: bool,
                 source: str, group_equal: Sequence[str], notes: list[str], estimator: str = "ML") -> CFAResult:
    est = out["estimates"]
    lo = est[est["op"] == "=~"]
    if labels:
        lo = lo[lo["group"] == labels[0]]
    wide = lo.pivot_table(index="rhs", columns="lhs", values="std_all", aggfunc="first")
    loadings = wide.reindex(index=list(spec.items), columns=list(spec.factors)).fillna(0.0).astype(float)
    loadings.index.name = "item"
    loadings.columns.name = None
    ident = ("standardised latent variables (factor variances fixed to 1, all loadings free)" if std_lv
             else "marker variable (first loading of each factor fixed to 1)")
    if labels:
        notes = [*notes, f"Loadings table shows group '{labels[0]}'; see estimates for all groups."]
    return CFAResult(
        fit=out["fit"], estimates=est, loadings=loadings, modification_indices=out["mi"], model=spec,
        n_obs=int(sum(info["n_obs"])), n_dropped=int(info["n_dropped"]), identification=ident,
        converged=bool(out["opt"]["converged"]), iterations=int(out["opt"]["iterations"]),
        optimizer=out["opt"]["method"], source=source, missing=info.get("missing", "listwise"),
        n_incomplete=int(sum(info.get("n_incomplete", []) or [0])),
        group_labels=tuple(labels or ()), group_n=tuple(int(n) for n in info["n_obs"]) if labels else (),
        constraints=tuple(group_equal), estimator=estimator, _extra_notes=tuple(notes))
