"""Old argument styles of the scoring, screening and norms verbs still work, and warn (#11).

The glossary (docs/development.md) renamed ``id_cols`` to ``id`` and made ``n_agree`` and
``name`` keyword-only; the 0.1 styles are translated with a FutureWarning until 1.0.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import compassion_scales as cs
from compassion_scales.norms import NormsFile


def _fcs_self(n: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    means = np.linspace(0.8, 2.6, 15)
    items = np.clip(np.round(means + f + rng.normal(size=(n, 15))), 0, 4)
    df = pd.DataFrame(items, columns=[f"fcs_self_{i}" for i in range(1, 16)])
    df.insert(0, "pid", [f"p{i}" for i in range(n)])
    if n > 9:
        df.iloc[5, 1:] = [0, 4] * 7 + [0]   # alternating answers
        df.iloc[9, 1:] = 2                  # the middle answer throughout
    return df


def _no_future_warning(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        return func(*args, **kwargs)


def test_score_id_and_old_id_cols() -> None:
    df = _fcs_self(5)
    new = _no_future_warning(cs.score, df, "fcs", id="pid", keep="ids")
    with pytest.warns(FutureWarning, match=r"score\(\): the argument `id_cols` is now called `id`"):
        old = cs.score(df, "fcs", id_cols="pid", keep="ids")
    pd.testing.assert_frame_equal(new.scores, old.scores)
    assert list(new.scores.columns) == ["pid", "fcs_self"]
    with pytest.raises(TypeError, match="give `id` only"):
        cs.score(df, "fcs", id="pid", id_cols="pid")


def test_screen_id_and_old_id_cols() -> None:
    df = _fcs_self()
    new = _no_future_warning(cs.screen, df, "fcs", id="pid", check_coding=False)
    with pytest.warns(FutureWarning, match="`id_cols` is now called `id`"):
        old = cs.screen(df, "fcs", id_cols="pid", check_coding=False)
    pd.testing.assert_frame_equal(new.table, old.table)
    assert new.id_columns == ["pid"] and new.table.columns[0] == "pid"


def test_exclude_flagged_n_agree_keyword_and_old_positional() -> None:
    df = _fcs_self()
    kept, excluded = _no_future_warning(cs.exclude_flagged, df, "fcs", n_agree=2, id="pid",
                                        check_coding=False)
    with pytest.warns(FutureWarning, match=r"give `n_agree` by name"):
        kept_old, excluded_old = cs.exclude_flagged(df, "fcs", 2, id="pid", check_coding=False)
    pd.testing.assert_frame_equal(excluded, excluded_old)
    pd.testing.assert_frame_equal(kept, kept_old)
    assert len(excluded) > 0 and "pid" in excluded.columns
    with pytest.raises(TypeError, match="multiple values for argument 'n_agree'"):
        cs.exclude_flagged(df, "fcs", 2, n_agree=2)


def test_apply_norms_name_keyword_and_old_positional() -> None:
    nf = NormsFile("fcs", {"fcs_self": ({"name": "clinic", "sample": "made-up example",
                                         "mean": 20.0, "sd": 10.0, "source": "example"},)})
    scores = pd.DataFrame({"fcs_self": [30.0, 20.0]})
    new = _no_future_warning(cs.apply_norms, scores, "fcs", name="clinic", norms_file=nf)
    with pytest.warns(FutureWarning, match=r"give `name` by name"):
        old = cs.apply_norms(scores, "fcs", "clinic", norms_file=nf)
    pd.testing.assert_frame_equal(new.scores, old.scores)
    assert new.scores["fcs_self_z"].tolist() == [1.0, 0.0]


def test_score_stream_id_and_old_id_cols(tmp_path: Path) -> None:
    from compassion_scales.streaming import score_stream

    src = tmp_path / "in.csv"
    _fcs_self(4).to_csv(src, index=False)
    new = _no_future_warning(score_stream, src, "fcs", id="pid", output=tmp_path / "a.csv")
    with pytest.warns(FutureWarning, match="`id_cols` is now called `id`"):
        old = score_stream(src, "fcs", id_cols="pid", output=tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    assert new.n_rows == old.n_rows == 4


def test_new_signatures_are_what_the_glossary_says() -> None:
    import inspect

    assert "id" in inspect.signature(cs.score).parameters
    assert "id_cols" not in inspect.signature(cs.screen).parameters
    for func, name in ((cs.exclude_flagged, "n_agree"), (cs.apply_norms, "name")):
        assert inspect.signature(func).parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
    assert "InstrumentLike" in str(inspect.signature(cs.norm_samples).parameters["instrument"].annotation)


def test_module_moves_keep_public_names_importable() -> None:
    from compassion_scales import io, run, validate
    from compassion_scales.instrument import read_definition_file
    from compassion_scales.scoring import check_examples

    assert run.score_file is io.score_file and run.provenance_payload is io.provenance_payload
    assert cs.validate_instrument_file is validate.validate_instrument_file
    assert validate.check_examples is check_examples
    assert callable(read_definition_file)


def test_validate_instrument_file_reports_golden_examples(tmp_path: Path) -> None:
    from importlib import resources

    text = resources.files("compassion_scales.instruments").joinpath("fcs.yaml").read_text("utf-8")
    assert "expected:" in text
    good = tmp_path / "fcs.yaml"
    good.write_text(text, encoding="utf-8")
    assert cs.validate_instrument_file(good).id == "fcs"
    # break one golden example's expected score: schema and semantics still pass
    inst = cs.load_instrument(good)
    example = inst.examples[0]
    sid, value = next((k, v) for k, v in example["expected"].items() if v is not None)
    import yaml

    data = yaml.safe_load(text)
    data["examples"][0]["expected"][sid] = float(value) + 1
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert cs.validate_instrument_file(bad, check_examples=False).id == "fcs"
    with pytest.raises(cs.InstrumentError, match="golden examples do not score as stated"):
        cs.validate_instrument_file(bad)
