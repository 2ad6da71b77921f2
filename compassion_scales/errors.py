"""Exceptions, warnings and stable reason codes used throughout cscore.

Every error raised on purpose by cscore derives from :class:`CompassionScalesError`.
Where a builtin exception is the natural meaning, the class also inherits it, so
existing ``except ValueError`` blocks keep working.

Statistical doubts (a Heywood case, many missing answers, a likely keying error)
are *warnings*, subclasses of :class:`PsychometricWarning`, never errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "CompassionScalesError",
    "InstrumentError",
    "InputFileError",
    "OutputFileError",
    "ResponseValidationError",
    "ScoringError",
    "AnalysisError",
    "Reason",
    "repeat_hint",
    "PsychometricWarning",
    "MissingDataWarning",
    "HeywoodCaseWarning",
    "KeyingWarning",
    "ConvergenceWarning",
    "UnverifiedKeyWarning",
    "SkippedScoreWarning",
    "CodingDirectionWarning",
]


class CompassionScalesError(Exception):
    """Base class for every error cscore raises on purpose.

    The message is written for a person, not a programmer: it says what failed,
    where, and what to do about it.
    """


class InstrumentError(CompassionScalesError, ValueError):
    """An instrument definition file is missing, unreadable or inconsistent.

    Attributes
    ----------
    problems : list of str
        Every problem found (schema and semantic checks are collected, not
        stopped at the first).
    source : str or None
        The file or instrument id the problems belong to.
    """

    def __init__(self, message: str, problems: list[str] | None = None,
                 source: str | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])
        self.source = source


class InputFileError(CompassionScalesError, ValueError):
    """A responses file cannot be read (missing, empty, wrong encoding, unknown format)."""


class OutputFileError(CompassionScalesError, OSError):
    """An output file cannot be written (for example, it would overwrite the input)."""


class Reason(str, Enum):
    """Stable reason codes for invalid cells and other data problems.

    The values are part of the public API: they appear in ``failure_cases``
    tables and in ``--format json`` output.
    """

    OUT_OF_RANGE = "out_of_range"
    NON_NUMERIC = "non_numeric"
    UNKNOWN_LABEL = "unknown_label"
    NOT_A_WHOLE_NUMBER = "not_a_whole_number"
    UNKNOWN_COLUMN = "unknown_column"
    MISSING_ITEM = "missing_item"
    DUPLICATE_ID = "duplicate_id"
    MISSING_ID = "missing_id"
    DUPLICATE_COLUMN = "duplicate_column"
    AMBIGUOUS_COLUMN = "ambiguous_column"
    NOT_A_RESPONSE = "not_a_response"
    UNLABELLED_CODE = "unlabelled_code"
    LABEL_CODE_MISMATCH = "label_code_mismatch"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


class ResponseValidationError(CompassionScalesError, ValueError):
    """Response data break the instrument's rules.

    Every problem is collected before raising (like pandera's lazy mode).

    Attributes
    ----------
    failure_cases : pandas.DataFrame
        One row per problem with columns ``row`` (row number as in the file,
        header = row 1), ``column``, ``item``, ``value``, ``reason`` (a
        :class:`Reason` value) and ``message``.
    source : str or None
        The file name the data came from, when known.
    """

    def __init__(self, message: str, failure_cases: pd.DataFrame,
                 source: str | None = None) -> None:
        super().__init__(message)
        self.failure_cases = failure_cases
        self.source = source

    #: reasons a different ``--on-invalid`` cannot mend: the columns or identifiers are wrong
    STRUCTURAL = ("unknown_column", "ambiguous_column", "duplicate_id", "missing_id", "missing_item",
                  "label_code_mismatch")

    @staticmethod
    def summary_message(failures: pd.DataFrame, suggest_missing: bool, *,
                        columns: Sequence[Any] = ()) -> str:
        """The error's one-line message: problems counted by reason, and what to do next.

        ``columns`` are the data's column names: with repeated identifiers, the REDCap columns
        among them that tell a record's rows apart are suggested (see :func:`repeat_hint`).

        Examples
        --------
        >>> import pandas as pd
        >>> cases = pd.DataFrame({"reason": ["duplicate_id", "out_of_range", "out_of_range"]})
        >>> print(ResponseValidationError.summary_message(cases, suggest_missing=True))
        3 problems in the data (2 out_of_range, 1 duplicate_id). Several rows per person (one per occasion or REDCap event)? Name the column that tells them apart as another identifier (e.g. --id record_id --id redcap_event_name).
        """
        reasons = failures["reason"]
        n = len(failures)
        parts = ", ".join(f"{v} {k}" for k, v in reasons.value_counts().items())
        msg = f"{n} problem{'s' if n != 1 else ''} in the data ({parts})."
        if suggest_missing and not reasons.isin(ResponseValidationError.STRUCTURAL).any():
            msg += " Fix them, or use --on-invalid missing to treat invalid answers as missing."
        repeated = reasons == Reason.DUPLICATE_ID.value
        if repeated.any():
            used = (str(failures.loc[repeated, "column"].iloc[0]).split(", ") if "column" in failures
                    else ["record_id"])
            msg += repeat_hint(used, columns)
        return msg

    def lines(self, limit: int | None = 20) -> list[str]:
        """Return one human-readable line per problem (at most ``limit``)."""
        prefix = f"{self.source}: " if self.source else ""
        rows = self.failure_cases
        shown = rows if limit is None else rows.head(limit)
        out = [prefix + str(m) for m in shown["message"]]
        if limit is not None and len(rows) > limit:
            out.append(f"{prefix}... and {len(rows) - limit} more problems "
                       "(see --format json or the failure_cases table for all of them)")
        return out


class ScoringError(CompassionScalesError, ValueError):
    """Scoring cannot proceed (for example, no item of the instrument is in the data)."""


class AnalysisError(CompassionScalesError, ValueError):
    """A statistical analysis cannot be run on the data given (too few cases, no variance...)."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


class PsychometricWarning(RuntimeWarning):
    """Base class for statistical doubts about a result."""


class MissingDataWarning(PsychometricWarning):
    """Many answers are missing, or cases were dropped because of missing answers."""


class HeywoodCaseWarning(PsychometricWarning):
    """A communality reached or passed 1 (a Heywood case); the solution is suspect."""


class KeyingWarning(PsychometricWarning):
    """An item behaves as if its reverse key or data coding were wrong."""


class ConvergenceWarning(PsychometricWarning):
    """An iterative estimator did not converge; results may be unreliable."""


class UnverifiedKeyWarning(PsychometricWarning):
    """A score was computed with a key the instrument file marks as not verified against its source."""


class SkippedScoreWarning(PsychometricWarning):
    """Some of an instrument's scores were left out because their items are not in the data."""


class CodingDirectionWarning(KeyingWarning):
    """The data look coded in the opposite direction to the instrument file (all or some items)."""


#: REDCap's columns that tell apart the rows of one record (raw export, then label export names)
REDCAP_ROW_COLUMNS = (("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"),
                      ("Event Name", "Repeat Instrument", "Repeat Instance"))


def repeat_hint(ids: Sequence[str], columns: Sequence[Any] = ()) -> str:
    """What to add to ``--id`` when identifiers repeat (a sentence with a leading space, or "").

    A REDCap export whose columns tell a record's rows apart (event, repeating instrument and
    instance) gets those of them not yet used as identifiers; otherwise, one identifier
    column gets the general hint and several get none.

    Examples
    --------
    >>> print(repeat_hint(["record_id"], ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"]))
     A REDCap export with repeating instruments or events: name the columns that tell a record's rows apart as further identifiers (--id record_id --id redcap_repeat_instrument --id redcap_repeat_instance); a base row has them empty, which is allowed.
    >>> repeat_hint(["pid", "time"], ["pid", "time"])
    ''
    """
    present = {str(c) for c in columns}
    for names in REDCAP_ROW_COLUMNS:
        more = [c for c in names if c in present and c not in ids]
        if more and (names[1] in present or names[2] in present):
            flags = " ".join(f"--id {c}" for c in [*ids, *more])
            return (" A REDCap export with repeating instruments or events: name the columns that "
                    f"tell a record's rows apart as further identifiers ({flags}); a base row has "
                    "them empty, which is allowed.")
    if len(ids) != 1:
        return ""
    return (" Several rows per person (one per occasion or REDCap event)? Name the column "
            f"that tells them apart as another identifier (e.g. --id {ids[0]} --id "
            "redcap_event_name).")
