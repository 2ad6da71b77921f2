"""Reading, cell conversion and writing fixes of issue #10 (library level)."""

from __future__ import annotations

import io
import os
import stat
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from testkit import DATA

from compassion_scales.errors import InputFileError, OutputFileError, ResponseValidationError
from compassion_scales.instrument import load_instrument, normalise_label
from compassion_scales.io import (
    apply_redcap_dictionary,
    read_redcap_dictionary,
    read_responses,
    write_outputs,
    write_provenance,
    write_table,
)
from compassion_scales.scoring import _convert_column, _fast_numeric, score

TOY = str(DATA / "toy_scale.yaml")
HEAD = "pid,toy_1,toy_2,toy_3,toy_5,toy_6"


def test_trailing_comma_on_data_rows_is_an_error_not_an_index(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text(f"{HEAD}\n001,1,2,3,4,5,\n002,1,2,3,4,5,\n")
    with pytest.raises(InputFileError) as info:
        read_responses(f)
    assert str(info.value).splitlines()[0] == (
        f"{f}: row 2: 7 fields but the header (row 1) has 6 (a delimiter at the end of the line?)")
    assert f"{f}: row 3: 7 fields" in str(info.value)


def test_every_column_is_text_and_no_na_list(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("pid,zip,big,ver,flag\n00001,02100,12345678901234567890,1.10,NULL\n"
                 "00002,,98765432109876543210,1.2,NA\n")
    df = read_responses(f)
    assert df["pid"].tolist() == ["00001", "00002"]
    assert df["zip"].tolist()[0] == "02100" and pd.isna(df["zip"].iloc[1])
    assert df["big"].iloc[0] == "12345678901234567890"
    assert df["ver"].tolist() == ["1.10", "1.2"]
    assert df["flag"].tolist() == ["NULL", "NA"]


@pytest.mark.parametrize("cell", ["NULL", "None", "nan", "<NA>", "#N/A", "NA"])
def test_na_words_in_item_columns_are_invalid(tmp_path: Path, cell: str) -> None:
    f = tmp_path / "t.csv"
    f.write_text(f"{HEAD}\na,1,2,3,4,5\nb,1,2,{cell},4,5\n")
    with pytest.raises(ResponseValidationError) as info:
        score(read_responses(f), TOY)
    fc = info.value.failure_cases
    assert fc[["row", "column", "value"]].values.tolist() == [[3, "toy_3", cell]]


def test_qualtrics_quoted_import_id_row_is_detected(tmp_path: Path) -> None:
    f = tmp_path / "q.csv"
    f.write_bytes(b'\xef\xbb\xbfResponseId,Q1_1\r\nResponse ID,How often?\r\n'
                  b'"{""ImportId"":""_recordId""}","{""ImportId"":""QID1_1""}"\r\nR_1,2\r\nR_2,3\r\n')
    df = read_responses(f)
    assert df["ResponseId"].tolist() == ["R_1", "R_2"]
    assert df.attrs["first_row"] == 4 and "Qualtrics" in df.attrs["notes"][0]


def test_qualtrics_two_row_form_is_detected(tmp_path: Path) -> None:
    f = tmp_path / "q.csv"
    f.write_text("StartDate,EndDate,Status,ResponseId,toy_5,toy_6\n"
                 "Start Date,End Date,Response Type,Response ID,Q5,Q6\n"
                 "2024-01-01 10:00:00,2024-01-01 10:05:00,0,R_1,2,4\n")
    df = read_responses(f)
    assert len(df) == 1 and df.attrs["first_row"] == 3


def test_utf16_with_bom(tmp_path: Path) -> None:
    f = tmp_path / "u.txt"
    f.write_bytes("pid\ttoy_5\ttoy_6\r\nJos\u00e9\t2\t4\r\n".encode("utf-16"))
    df = read_responses(f)
    assert df["pid"].tolist() == ["Jos\u00e9"] and df["toy_6"].tolist() == ["4"]


def test_stream_and_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    df = read_responses(io.BytesIO(b"pid,toy_5\n007,2\n"))
    assert df.attrs["source"] == "<stream>" and df["pid"].iloc[0] == "007"
    df = read_responses(io.StringIO("pid,toy_5\n008,2\n"))
    assert df["pid"].iloc[0] == "008"

    class FakeStdin:
        buffer = io.BytesIO(b"pid,toy_5\n009,2\n")

    monkeypatch.setattr("sys.stdin", FakeStdin())
    df = read_responses("-")
    assert df.attrs["source"] == "<stdin>" and df["pid"].iloc[0] == "009"


def test_decimal_comma_gets_a_hint() -> None:
    rs = load_instrument(TOY).response_sets["five"]
    _, fails = _convert_column(pd.Series(["1", "2,5"], dtype="str"), rs, "toy_1", "toy_1", 2)
    assert "decimal comma" in fails[0]["message"]


def test_boolean_item_column_is_refused() -> None:
    rs = load_instrument(TOY).response_sets["five"]
    for series in (pd.Series([True, False, True]), pd.Series(["TRUE", "FALSE", None], dtype="str")):
        assert _fast_numeric(series, rs) is None
        x, fails = _convert_column(series, rs, "toy_1", "q1", 2)
        assert np.isnan(x).all()
        assert [f["reason"] for f in fails] == ["not_a_response"]
        assert fails[0]["message"].startswith("row 2, column q1: the column holds true/false values")


def test_text_fast_path_equals_numeric_path() -> None:
    rs = load_instrument(TOY).response_sets["five"]
    values = ["1", "5", None, "3", "2", "4.0"]
    got = _fast_numeric(pd.Series(values, dtype="str"), rs)
    assert got is not None
    np.testing.assert_array_equal(got, [1, 5, np.nan, 3, 2, 4])
    assert _fast_numeric(pd.Series(["1", "nan"], dtype="str"), rs) is None
    assert _fast_numeric(pd.Series(["1", "6"], dtype="str"), rs) is None
    assert _fast_numeric(pd.Series(["1", "2.5"], dtype="str"), rs) is None


def test_typographic_labels_match() -> None:
    assert normalise_label("Don\u2019t agree at all") == normalise_label("Don't agree at all")
    assert normalise_label("Don\u2018t\u00a0agree \u2013 at all") == normalise_label("don't agree - at all")
    assert normalise_label("Tre\u0300s") == normalise_label("Tr\u00e8s")
    rs = load_instrument(TOY).response_sets["five"]
    x, fails = _convert_column(pd.Series(["ALMOST\u00a0NEVER", "\uff2f\uff46\uff54\uff45\uff4e"], dtype="str"),
                               rs, "toy_1", "toy_1", 2)
    assert not fails and x.tolist() == [1.0, 4.0]


def test_spss_partial_value_labels_refused(tmp_path: Path) -> None:
    import pyreadstat

    f = tmp_path / "p.sav"
    labels = {1.0: "Never", 3.0: "Sometimes", 5.0: "Always"}
    pyreadstat.write_sav(pd.DataFrame({"toy_5": [1.0, 2.0, 5.0], "toy_6": [1.0, 3.0, 5.0]}), str(f),
                         variable_value_labels={"toy_5": labels, "toy_6": labels})
    data = read_responses(f, value_labels=True)
    assert data.attrs["unlabelled_codes"] == {"toy_5": [2.0]}
    assert data["toy_6"].tolist() == ["Never", "Sometimes", "Always"]
    with pytest.raises(ResponseValidationError) as info:
        score(data, TOY, on_invalid="missing")
    fc = info.value.failure_cases
    assert fc["reason"].tolist() == ["unlabelled_code"] and fc["column"].tolist() == ["toy_5"]
    assert "code(s) 2 have no value label" in fc["message"].iloc[0]
    res = score(read_responses(f), TOY)  # without --value-labels: the codes
    assert res.scores["toy_b"].tolist() == [1.0, 2.5, 5.0]


def test_redcap_dictionary_and_label_export(tmp_path: Path) -> None:
    d = tmp_path / "dict.csv"
    d.write_bytes(b'\xef\xbb\xbf"Variable / Field Name","Form Name","Section Header","Field Type",'
                  b'"Field Label","Choices, Calculations, OR Slider Labels","Field Note"\n'
                  b'record_id,f,,text,"Record ID",,\n'
                  b'toy_5,f,,radio,"How often, really?","1, Not at all | 5, Extremely",\n'
                  b'toy_6,f,,radio,"<b>Six</b>","1, Not at all | 5, Extremely",\n'
                  b'ok,f,,yesno,"OK?",,\n')
    fields = read_redcap_dictionary(d)
    assert fields["toy_5"].choices == {"1": "Not at all", "5": "Extremely"}
    assert fields["ok"].choices == {"1": "Yes", "0": "No"}
    f = tmp_path / "labels.csv"
    f.write_text('"Record ID","How often, really?","Six","OK?","Complete?"\n'
                 '"1","Not at all","Extremely","Yes","Complete"\n')
    df = read_responses(f, dictionary=d)
    assert list(df.columns) == ["record_id", "toy_5", "toy_6", "ok", "f_complete"]
    assert df.iloc[0].tolist() == ["1", "1", "5", "1", "2"]
    raw = pd.DataFrame({"toy_5": ["1", "Extremely"]}, dtype="str")
    assert apply_redcap_dictionary(raw, fields)["toy_5"].tolist() == ["1", "5"]


def test_outputs_get_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        out = write_table(pd.DataFrame({"a": [1]}), tmp_path / "o.csv")
        assert stat.S_IMODE(out.stat().st_mode) == 0o664
        side = write_provenance(out, {"x": 1})
        assert stat.S_IMODE(side.stat().st_mode) == 0o664
        os.umask(0o022)
        out2 = write_table(pd.DataFrame({"a": [1]}), tmp_path / "o2.parquet")
        assert stat.S_IMODE(out2.stat().st_mode) == 0o644
    finally:
        os.umask(old)


def test_unwritable_folder_is_one_line_without_temp_names(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path / ".o.csv.abc123.csv"))

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(OutputFileError) as info:
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "o.csv")
    assert str(info.value) == (f"{tmp_path / 'o.csv'}: cannot write in the folder {tmp_path} "
                               "(permission denied); choose another folder.")


def test_write_failure_message_has_no_temp_name(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [object()]})  # parquet cannot store an arbitrary object
    with pytest.raises(OutputFileError) as info:
        write_table(frame, tmp_path / "o.parquet")
    msg = str(info.value)
    assert msg.startswith(f"{tmp_path / 'o.parquet'}: cannot be written (") and "\n" not in msg
    assert ".o.parquet." not in msg
    assert list(tmp_path.iterdir()) == []


def test_write_outputs_all_or_nothing(tmp_path: Path) -> None:
    good = pd.DataFrame({"a": [1]})
    bad = pd.DataFrame({"a": [object()]})
    (tmp_path / "keep.csv").write_text("old\n")
    with pytest.raises(OutputFileError):
        write_outputs([(good, tmp_path / "keep.csv"), (bad, tmp_path / "b.parquet")],
                      provenance={str(tmp_path / "keep.csv"): {"x": 1}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]
    assert (tmp_path / "keep.csv").read_text() == "old\n"
    written = write_outputs([(good, tmp_path / "keep.csv"), (good, tmp_path / "b.json")],
                            provenance={str(tmp_path / "keep.csv"): {"x": 1}})
    assert [p.name for p in written] == ["keep.csv", "keep.csv.provenance.json", "b.json"]
    import json

    side = json.loads((tmp_path / "keep.csv.provenance.json").read_text())
    import hashlib

    assert side["output_sha256"] == hashlib.sha256((tmp_path / "keep.csv").read_bytes()).hexdigest()


def test_xlsx_output_keeps_text_that_looks_like_a_formula(tmp_path: Path) -> None:
    out = write_table(pd.DataFrame({"note": ["=1+1", "00001"], "x": [1.5, np.nan]}), tmp_path / "o.xlsx")
    back = read_responses(out)
    assert back["note"].tolist() == ["=1+1", "00001"]
    assert back["x"].iloc[0] == "1.5" and pd.isna(back["x"].iloc[1])


@pytest.mark.parametrize("sep_line", [False, True])
def test_ragged_row_past_the_decoded_head_is_named(tmp_path, sep_line: bool) -> None:
    """A plain ASCII file is decoded only as far as the header checks read (#16); a ragged
    row after that is still named by its row number, with Excel's "sep=" line too."""
    from compassion_scales import io as csio

    n = csio._HEAD_CHARS // 10 + 1000  # rows of 12 bytes: the file is longer than the head
    lines = ["pid,toy_1,toy_2"] + [f"p{i:06d},1,2" for i in range(n)]
    bad = n - 5  # 0-based data row
    lines[1 + bad] += ",9"
    text = ("sep=,\n" if sep_line else "") + "\n".join(lines) + "\n"
    path = tmp_path / "big.csv"
    path.write_bytes(text.encode("ascii"))
    assert path.stat().st_size > csio._HEAD_CHARS
    with pytest.raises(InputFileError) as info:
        read_responses(path)
    row = bad + 2 + (1 if sep_line else 0)
    header = 2 if sep_line else 1
    assert f"row {row}: 4 fields but the header (row {header}) has 3" in str(info.value)


def test_a_long_ascii_file_reads_whole(tmp_path) -> None:
    from compassion_scales import io as csio

    n = csio._HEAD_CHARS // 10 + 1000
    path = tmp_path / "big.csv"
    path.write_bytes(("pid,toy_1\n" + "".join(f"p{i:07d},3\n" for i in range(n))).encode("ascii"))
    df = read_responses(path)
    assert len(df) == n and df["pid"].iloc[-1] == f"p{n - 1:07d}"
