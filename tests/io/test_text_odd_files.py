"""Delimited text files as real tools write them (round 4 of odd exports)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from compassion_scales.errors import InputFileError
from compassion_scales.io import read_responses

ROWS = "pid,note,toy_5,toy_6\r\na,caf\u00e9,1,2\r\n"


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "ascii", "mac_roman"])
@pytest.mark.parametrize(("bom", "codec", "found"), [
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"), (b"\xff\xfe", "utf-16-le", "UTF-16"), (b"\xfe\xff", "utf-16-be", "UTF-16"),
])
def test_a_byte_order_mark_wins_over_an_encoding_of_another_family(tmp_path: Path, encoding: str, bom: bytes,
                                                                   codec: str, found: str) -> None:
    # a habitual --encoding cp1252 on a Qualtrics (UTF-8 BOM) export named the first column
    # "ï»¿pid" and wrote "cafÃ©", exit 0; on Excel's "Unicode text" it was a ragged-rows error
    f = tmp_path / "d.csv"
    f.write_bytes(bom + ROWS.encode(codec))
    read = read_responses(f, encoding=encoding)
    assert list(read.columns) == ["pid", "note", "toy_5", "toy_6"]
    assert read["note"].tolist() == ["caf\u00e9"]
    assert (f"{f}: the file starts with a {found} byte-order mark, so it was read as {found}, not as "
            f"--encoding {encoding} says.") in read.attrs["notes"]


def test_a_matching_or_unknown_encoding_is_left_alone(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_bytes(b"\xef\xbb\xbf" + ROWS.encode("utf-8"))
    for same in ("utf-8", "utf_8_sig", "UTF8"):
        assert not any("byte-order mark" in n for n in read_responses(f, encoding=same).attrs["notes"])
    with pytest.raises(InputFileError, match="unknown encoding 'klingon'"):
        read_responses(f, encoding="klingon")


QUESTION = "I am kind, warm, gentle, caring, open, calm, patient, good"


@pytest.mark.parametrize("stream", [False, True])
def test_a_semicolon_file_with_commas_in_its_quoted_headers_is_read_by_semicolons(tmp_path: Path,
                                                                                 stream: bool) -> None:
    # a LimeSurvey/SoSci export with the question text as headers (German Excel: ";"): the
    # commas inside the quoted names outnumbered the semicolons, so every row was "1 fields
    # but the header (row 1) has 8"
    from click.testing import CliRunner
    from testkit import DATA

    from compassion_scales.cli import main

    f = tmp_path / "d.csv"
    f.write_bytes((f'"pid";"{QUESTION}";"toy_5";"toy_6"\r\n"a";"x";"1";"2"\r\n"b";"y";"3";"4"\r\n').encode())
    read = read_responses(f)
    assert list(read.columns) == ["pid", QUESTION, "toy_5", "toy_6"]
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(main, ["score", str(f), "--instrument-file", str(DATA / "toy_scale.yaml"),
                                    "--keep", "all", "-o", str(out), *(["--stream"] if stream else [])])
    assert res.exit_code == 0, res.output
    assert out.read_text().splitlines() == [f'"pid","{QUESTION}","toy_b"', '"a","x",1.5', '"b","y",3.5']


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_read_whole(tmp_path: Path) -> None:
    # cscore score <(curl ...): the first bytes of the pipe must not be spent on telling the
    # file's type by its content ("the file is empty")
    import os
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    data = b"pid,toy_5,toy_6\n" + b"".join(f"p{k},1,2\n".encode() for k in range(500))

    def feed() -> None:
        with open(fifo, "wb") as fh:
            fh.write(data)

    got: list[object] = []
    writer = threading.Thread(target=feed, daemon=True)
    reader = threading.Thread(target=lambda: got.append(read_responses(fifo)), daemon=True)
    writer.start()
    reader.start()
    reader.join(20)  # it waited for ever on a second opening of the spent pipe
    assert got, "the pipe was not read"
    read = got[0]
    assert isinstance(read, pd.DataFrame) and len(read) == 500 and read["pid"].iloc[0] == "p0"
