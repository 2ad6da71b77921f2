"""Session tracking: the worked example of docs/clinical-change.md, computed by hand.

tests/data/tracking (a copy of examples/tracking; MADE-UP example norms):
  fcs_self (higher worse): SD 10, test-retest .875 (preferred over alpha .94)
      SE_diff = 10 * sqrt(2) * sqrt(.125) = 5, reliable when |change| > 9.8
      clinical 30 (SD 10), non-clinical 14 (SD 6): c = (10*14 + 6*30) / 16 = 20
  ceas_self_engagement (higher better): SD 8, test-retest .875 -> SE_diff 4, threshold 7.84
      clinical 30 (SD 8), non-clinical 42 (SD 8): c = 36
  A  fcs 34 30 22 18  -> RCI from first 0, -0.8, -2.4, -3.2: first reliable improvement at session 3;
                         18 < 20 -> recovered.  ceas 28 30 33 40 -> 0, .5, 1.25, 3: session 4; recovered
  B  (no row at session 2) fcs 28 - 26 31 -> -0.4, 0.6; ceas 32 - 30 25 -> -0.5, -1.75: no change
  C  fcs 25 29 36 (score missing at 4) -> 0.8, 2.2: deterioration (latest = session 3);
     ceas 35 33 31 26 -> -0.5, -1, -2.25: deterioration
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import DATA as TEST_DATA
from testkit import DOCS, REFERENCE

from compassion_scales.analyses.track import MultiMeasureRule, TrackResult, track
from compassion_scales.cli import main
from compassion_scales.errors import AnalysisError

DATA = TEST_DATA / "tracking"
SESSIONS = DATA / "sessions.csv"
NORMS = [str(DATA / "fcs_example_norms.yaml"), str(DATA / "ceas_example_norms.yaml")]


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(SESSIONS, dtype={"client": str})


@pytest.fixture(scope="module")
def result(data):
    return track(data, ["fcs", "ceas"], id="client", session="session", date="date",
                 norm_sample="example_clinic", norms_files=NORMS)


def test_parameters_from_named_norm_sample(result):
    p = result.parameters.set_index("score")
    assert p.loc["fcs_self", ["sd", "reliability", "se_diff", "rc_threshold", "cutoff"]].tolist() == \
        pytest.approx([10, 0.875, 5, 9.8, 20])
    assert p.loc["fcs_self", "reliability_coefficient"] == "test_retest"
    assert p.loc["ceas_self_engagement", ["se_diff", "rc_threshold", "cutoff"]].tolist() == \
        pytest.approx([4, 7.84, 36])


def test_session_by_session_rci(result):
    s = result.sessions.set_index(["client", "score", "session"]).sort_index()
    a = s.loc[("A", "fcs_self")]
    assert a["rci_first"].tolist() == pytest.approx([0, -0.8, -2.4, -3.2])
    assert a["rc_first"].tolist() == ["no_reliable_change", "no_reliable_change",
                                      "reliable_improvement", "reliable_improvement"]
    assert a["rci_previous"].tolist()[1:] == pytest.approx([-0.8, -1.6, -0.8])
    assert a["functional"].tolist() == [False, False, False, True]
    assert a["days_from_first"].tolist() == [0, 7, 14, 21]
    # B: session 2 has no row; session 3 compares with session 1, never with a filled-in value
    b = s.loc[("B", "fcs_self")]
    assert b["observed"].tolist() == [True, False, True, True]
    assert b.loc[2, "missing"] == "no row for this session" and np.isnan(b.loc[2, "value"])
    assert b["rci_previous"].tolist()[2:] == pytest.approx([-0.4, 1.0])


def test_first_session_of_reliable_improvement(result):
    c = result.clients.set_index(["client", "score"])
    assert c.loc[("A", "fcs_self"), "first_improvement_session"] == 3
    assert c.loc[("A", "ceas_self_engagement"), "first_improvement_session"] == 4
    assert pd.isna(c.loc[("B", "fcs_self"), "first_improvement_session"])
    assert c.loc[("C", "fcs_self"), ["latest_session", "latest", "rci"]].tolist() == [3, 36.0, pytest.approx(2.2)]
    assert c["clinical_change"].tolist() == ["recovered", "unchanged", "deteriorated"] * 2


def test_missing_sessions_reported_never_carried_forward(result):
    assert result.missing.values.tolist() == [
        ["B", "fcs_self", 2, "no row for this session"], ["C", "fcs_self", 4, "score missing"],
        ["B", "ceas_self_engagement", 2, "no row for this session"]]
    c = result.sessions[(result.sessions["client"] == "C") & (result.sessions["score"] == "fcs_self")]
    assert np.isnan(c["value"].iloc[-1]) and np.isnan(c["rci_first"].iloc[-1])
    assert any("never filled" in n for n in result._notes())


def test_default_rule_and_service_summary(result):
    assert result.outcomes["outcome"].tolist() == ["reliable_recovery", "no_reliable_change",
                                                   "reliable_deterioration"]
    svc = result.service.set_index(["measure", "category"])
    assert svc.loc[("overall", "reliable_recovery"), "n"] == 1
    assert svc.loc[("fcs_self", "reliable_improvement"), "percent"] == pytest.approx(100 / 3)
    assert svc.loc[("ceas_self_engagement", "deteriorated"), "n"] == 1
    assert "reliably worse on none" in result._notes()[1]


# --------------------------------------------------------------------------- rules

# clients:    imp det assessable case_first case_latest
COUNTS = {"both_up_recovered": (2, 0, 2, True, False),
          "one_up_still_case": (1, 0, 2, True, True),
          "up_and_down": (1, 1, 2, True, True),
          "none": (0, 0, 2, True, True),
          "two_down": (0, 2, 2, True, True),
          "nothing_assessable": (0, 0, 0, False, False)}


def _classify(rule):
    arr = np.array(list(COUNTS.values()), dtype=object)
    return dict(zip(COUNTS, rule.classify(arr[:, 0].astype(int), arr[:, 1].astype(int),
                                         arr[:, 2].astype(int), arr[:, 3].astype(bool),
                                         arr[:, 4].astype(bool)), strict=True))


def test_rule_default_improve_one_deteriorate_none():
    assert _classify(MultiMeasureRule()) == {
        "both_up_recovered": "reliable_recovery", "one_up_still_case": "reliable_improvement",
        "up_and_down": "reliable_deterioration", "none": "no_reliable_change",
        "two_down": "reliable_deterioration", "nothing_assessable": "not_assessable"}


def test_rule_all_measures_must_improve():
    got = _classify(MultiMeasureRule(min_improved="all"))
    assert got["one_up_still_case"] == "no_reliable_change"
    assert got["both_up_recovered"] == "reliable_recovery"


def test_rule_tolerating_one_deterioration():
    got = _classify(MultiMeasureRule(max_deteriorated=1, deteriorated_if=2))
    assert got["up_and_down"] == "reliable_improvement"
    assert got["two_down"] == "reliable_deterioration"


def test_rule_without_recovery():
    got = _classify(MultiMeasureRule(recovery=False))
    assert got["both_up_recovered"] == "reliable_improvement"
    assert "recovery" not in MultiMeasureRule(recovery=False).describe()


def test_rule_checks_its_parameters():
    with pytest.raises(AnalysisError, match="min_improved"):
        MultiMeasureRule(min_improved=0)


def test_rules_through_track(data):
    res = track(data, ["fcs", "ceas"], id="client", session="session", norm_sample="example_clinic",
                norms_files=NORMS, rule=MultiMeasureRule(recovery=False))
    assert res.outcomes["outcome"].tolist()[0] == "reliable_improvement"


# --------------------------------------------------------------------------- errors, outputs


def test_errors(data):
    with pytest.raises(AnalysisError, match="more than one row for client/session .*A/1 in rows 2, 13"):
        track(pd.concat([data, data.head(1)]), "fcs", id="client", session="session", sd=10,
              reliability=0.8)
    with pytest.raises(AnalysisError, match=r"session \(--session\) column 'visit' is not in the data"):
        track(data, "fcs", id="client", session="visit", sd=10, reliability=0.8)
    with pytest.raises(AnalysisError, match="No published reliability for ceas_self_engagement"):
        track(data, "ceas", id="client", session="session", sd=8)


def test_cli_track_blank_and_repeated_sessions_name_file_and_rows(tmp_path):
    # before: "1 row(s) have no 'client' or 'session' value" / "More than one row for
    # client/session A/1", without the file or a row number
    text = SESSIONS.read_text(encoding="utf-8").splitlines()
    blank = tmp_path / "blank.csv"
    blank.write_text("\n".join([text[0], text[1], "," + text[2].split(",", 1)[1], *text[3:]]) + "\n",
                     encoding="utf-8")
    args = ["-i", "fcs", "--id", "client", "--session", "session", "--sd", "10", "--reliability", "0.8"]
    res = CliRunner().invoke(main, ["track", str(blank), *args])
    assert res.exit_code == 1
    assert res.output == (f"Error: {blank}: row 3, column client: empty; 1 row(s) have no 'client' or "
                          "'session' value (rows 3); every row needs a client and a session.\n")
    dup = tmp_path / "dup.csv"
    dup.write_text("\n".join([*text, text[1]]) + "\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["track", str(dup), *args])
    assert res.exit_code == 1
    assert res.output == (f"Error: {dup}: more than one row for client/session (columns client, "
                          f"session): A/1 in rows 2, {len(text) + 1}; keep one row per client and "
                          "session.\n")


def test_client_ids_differing_only_by_leading_zeros_are_refused(tmp_path):
    # before: '001' (sessions 1-2) and '1' (sessions 3-4) were tracked as two clients, exit 0
    f = tmp_path / "padded.csv"
    f.write_text("client,session,fcs_self\n001,1,34\n001,2,30\n1,3,20\n1,4,18\n002,1,20\n002,2,25\n",
                 encoding="utf-8")
    res = CliRunner().invoke(main, ["track", str(f), "-i", "fcs", "--id", "client", "--session",
                                    "session", "--sd", "10", "--reliability", "0.8"])
    assert res.exit_code == 1
    assert res.output == (f"Error: {f}: column client: the client ids '001' (row 2) and '1' (row 4) "
                          "differ only by leading zeros (1 client written so), so one client's sessions "
                          "would be tracked as two clients: part of the file probably stores the ids "
                          "as numbers (Excel drops leading zeros). Write each client's id the same way "
                          "in every row.\n")
    # in Python: a column of numbers and text ids (an append of two exports)
    d = pd.DataFrame({"client": [7, 7, "007", "8", "8"], "session": [1, 2, 3, 1, 2],
                      "fcs_self": [30.0, 28, 20, 25, 26]})
    with pytest.raises(AnalysisError, match=r"client ids '7' \(row 2\) and '007' \(row 4\)"):
        track(d, "fcs", id="client", session="session", sd=10, reliability=0.8)


def test_chart_is_a_figure_and_leaves_the_backend_alone(result, tmp_path):
    import matplotlib as mpl

    before = mpl.get_backend()
    from matplotlib.figure import Figure

    fig = result.chart("A")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "first reliable improvement (session 3)" in labels
    assert "clinical cut-off (c) = 20" in labels
    assert mpl.get_backend() == before
    with pytest.raises(AnalysisError, match="No client 'Z'"):
        result.chart("Z")


def test_reports(result, tmp_path):
    paths = result.report(tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"client_{c}.{e}" for c in "ABC" for e in ("md", "png"))
    md = (tmp_path / "client_B.md").read_text()
    assert "![Scores by session](client_B.png)" in md
    assert "| 2 | - | - (-) | - (-) | no row for this session |" in md
    assert (tmp_path / "client_A.png").read_bytes()[:4] == b"\x89PNG"


def test_result_outputs(result):
    assert isinstance(result, TrackResult)
    d = result.to_dict()
    assert set(d) >= {"summary", "clients", "outcomes", "sessions", "missing", "rule", "notes"}
    assert "Service summary" in result.to_table()


def test_cli_track(tmp_path):
    out = tmp_path / "sessions_rci.csv"
    args = ["track", str(SESSIONS), "-i", "fcs", "-i", "ceas", "--id", "client", "--session", "session",
            "--date", "date", "--norms", "example_clinic", "--norms-file", NORMS[0],
            "--norms-file", NORMS[1], "--report", str(tmp_path / "rep"), "-o", str(out)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "reliable_recovery" in res.stdout and "Service summary" in res.stdout
    assert len(pd.read_csv(out)) == 24  # 3 clients x 2 scores x 4 sessions (gaps included)
    assert "Wrote 6 report file(s)" in res.stderr
    js = CliRunner().invoke(main, args[:-4] + ["--min-improved", "all", "--format", "json"])
    assert js.exit_code == 0, js.output
    assert "every assessable measure" in js.stdout
    bad = CliRunner().invoke(main, args[:-4] + ["--min-improved", "some"])
    assert bad.exit_code == 2 and "--min-improved" in bad.output


def test_walkthrough_in_docs_matches(result):
    """The worked example of docs/clinical-change.md is this result."""
    doc = (DOCS / "clinical-change.md").read_text()

    def cell(v, r):
        if np.isnan(v):
            return "-"
        val = f"{v:g}"
        return val if r == 0 else f"{val} ({r:g})".replace("(-", "(\u2212")

    for (cid, s), g in result.sessions.groupby(["client", "score"], sort=False):
        c = result.clients.set_index(["client", "score"]).loc[(cid, s)]
        fi = c["first_improvement_session"]
        cells = [cell(v, r) for v, r in zip(g["value"], g["rci_first"].fillna(0), strict=True)]
        row = (f"| {cid} | {s} | " + " | ".join(cells)
               + f" | {'-' if pd.isna(fi) else fi} | {c['clinical_change']} |")
        assert row in doc, row
    assert (DOCS / "images" / "tracking-client-A.png").exists()


def test_items_scored_and_neutral_scores_never_count():
    data = pd.read_csv(TEST_DATA / "change_long.csv")
    inst = str(TEST_DATA / "change_test_norms.yaml")
    from compassion_scales.analyses.change import NormsWarning

    with pytest.warns(NormsWarning, match="ct_mood: no published SD"):  # first sessions' SD used
        res = track(data, inst, id="client", session="session")
    assert set(res.sessions["score"]) == {"ct_fear", "ct_kind", "ct_mood"}
    assert (res.outcomes["n_measures"] <= 2).all()  # ct_mood (neutral) is tracked, not counted
    one = res.clients[res.clients["client"] == 6]
    assert one["note"].str.contains("one session only").all()
    assert res.outcomes.set_index("client").loc[6, "outcome"] == "not_assessable"


def test_worked_example_against_r(result):
    """tests/reference/norms_tracking.R: SE_diff, RCI and cut-off c of the walkthrough."""
    import json

    ref = json.loads((REFERENCE / "norms_tracking.json").read_text())
    p = result.parameters.set_index("score")
    assert p.loc["fcs_self", "se_diff"] == pytest.approx(ref["se_fcs"][0], abs=1e-12)
    assert p.loc["ceas_self_engagement", "se_diff"] == pytest.approx(ref["se_ceas"][0], abs=1e-12)
    assert p.loc["fcs_self", "cutoff"] == pytest.approx(ref["cutoff_c_fcs"][0], abs=1e-12)
    assert p.loc["ceas_self_engagement", "cutoff"] == pytest.approx(ref["cutoff_c_ceas"][0], abs=1e-12)
    s = result.sessions
    for score, key in (("fcs_self", "rci_A_fcs"), ("ceas_self_engagement", "rci_A_ceas")):
        got = s[(s["client"] == "A") & (s["score"] == score)]["rci_first"].to_numpy()
        assert np.abs(got - np.array(ref[key])).max() < 1e-12, key


def test_old_rci_criterion_still_works(data):
    kw = dict(id="client", session="session", sd=10, reliability=0.8)
    new = track(data, "fcs", rci_threshold=1.5, **kw)
    with pytest.warns(FutureWarning, match="`rci_criterion` is now called `rci_threshold`"):
        old = track(data, "fcs", rci_criterion=1.5, **kw)
    pd.testing.assert_frame_equal(old.sessions, new.sessions)
    pd.testing.assert_frame_equal(old.clients, new.clients)
    assert old.rci_criterion == old.rci_threshold == 1.5


def test_dates_are_read_one_way_or_refused() -> None:
    """Day/month dates give the same days as ISO dates; ambiguous or bad dates are refused."""
    from testkit import EXAMPLES

    from compassion_scales._inputs import parse_dates
    from compassion_scales.analyses.track import track
    from compassion_scales.errors import AnalysisError

    iso = pd.read_csv(EXAMPLES / "tracking" / "sessions.csv", dtype=str)
    dmy = iso.assign(date=pd.to_datetime(iso["date"]).dt.strftime("%d/%m/%Y"))
    kw = dict(id="client", session="session", date="date", sd=8.0, reliability=0.9)
    a, b = track(iso, "fcs", **kw), track(dmy, "fcs", **kw)
    pd.testing.assert_series_equal(a.sessions["days_from_first"], b.sessions["days_from_first"])
    assert a.sessions["days_from_first"].max() > 7  # real intervals, compared above
    bad = iso.copy()
    bad.attrs["source"] = "s.csv"
    bad.loc[2, "date"] = "not a date"
    with pytest.raises(AnalysisError, match=r"s.csv: row 4, column date: 'not a date' is not a date"):
        track(bad, "fcs", **kw)
    ambiguous = pd.DataFrame({"d": ["05/01/2026", "12/01/2026"]})
    with pytest.raises(AnalysisError, match="read as day/month/year or month/day/year"):
        parse_dates(ambiguous, "d")


def test_session_labels_in_natural_or_file_order() -> None:
    """S1..S10 sort as numbers (not S1, S10, S2); labels without numbers keep the file's order."""
    from compassion_scales.analyses.track import _session_order

    rng = np.random.default_rng(4)
    df = pd.DataFrame({"client": np.repeat(["A", "B", "C"], 10),
                       "session": [f"S{k}" for k in range(1, 11)] * 3,
                       "fcs_self": rng.integers(10, 50, 30).astype(float)})
    res = track(df, "fcs", id="client", session="session", sd=8.0, reliability=0.9)
    assert set(res.clients["first_session"]) == {"S1"} and set(res.clients["latest_session"]) == {"S10"}
    with pytest.warns(UserWarning, match="in the order they first appear"):
        assert _session_order(pd.Series(["pre", "post", "follow-up", "pre"])).tolist() == [0, 1, 2, 0]


def test_a_norms_file_of_another_instrument_is_refused() -> None:
    from testkit import EXAMPLES

    df = pd.read_csv(EXAMPLES / "tracking" / "sessions.csv")
    with pytest.raises(AnalysisError, match="is for instrument 'ceas', not for fcs"):
        track(df, "fcs", id="client", session="session",
              norms_files=[EXAMPLES / "tracking" / "ceas_example_norms.yaml"])
    from compassion_scales.errors import InstrumentError
    from compassion_scales.norms import load_norms_file

    with pytest.raises(InstrumentError, match="Norms file nope.yaml does not exist"):
        load_norms_file("nope.yaml")


def test_per_score_value_for_an_unknown_score_is_refused(data):
    # before: --reliability fcs_nosuch=0.8 was ignored and the published reliability used, exit 0
    with pytest.raises(AnalysisError) as err:
        track(data, "fcs", id="client", session="session", sd=10, reliability={"fcs_slef": 0.8})
    assert str(err.value) == ("reliability (--reliability SCORE=VALUE) names score(s) fcs_slef, which are "
                              "not scores here; the scores are: fcs_self, fcs_others, fcs_from_others.")
    res = CliRunner().invoke(main, ["change", str(TEST_DATA / "change_long.csv"), "-i",
                                    str(TEST_DATA / "change_test_norms.yaml"), "--id", "client", "--time",
                                    "session", "--occasions", "1", "12", "--sd", "CT_FEAR=4",
                                    "--reliability", "0.8"])
    assert res.exit_code == 1
    assert res.output.startswith("Error: sd (--sd SCORE=VALUE) names score(s) CT_FEAR, which are not "
                                 "scores here; the scores are: ")


def test_prorate_with_score_columns_is_said(data, tmp_path):
    # before: --prorate 0.5 on a file of score columns did nothing, without a word
    with pytest.warns(RuntimeWarning, match=r"prorate=0.5 \(--prorate\) not applied: the fcs scores "
                                            "were taken from score columns already in the data"):
        track(data, "fcs", id="client", session="session", sd=10, reliability=0.8, prorate=0.5)
    res = CliRunner().invoke(main, ["compare", str(SESSIONS), "-i", "fcs", "--group", "client",
                                    "--prorate", "0.5"])
    assert res.exit_code == 0, res.output
    assert ("Warning: prorate=0.5 (--prorate) not applied: the fcs scores were taken from score "
            "columns already in the data, not computed from items.\n") in res.stderr


def test_redcap_event_names_keep_the_file_order(tmp_path):
    # before: intake_arm_1 / session_1_arm_1 / session_2_arm_1 / discharge_arm_1 were sorted by
    # their text: "first" was discharge and "latest" session_2, so client 1's 40 -> 15 came out
    # as 15 -> 25, no reliable change, exit 0
    f = tmp_path / "events.csv"
    f.write_text("record_id,redcap_event_name,fcs_self\n"
                 "1,intake_arm_1,40\n1,session_1_arm_1,35\n1,session_2_arm_1,25\n1,discharge_arm_1,15\n"
                 "2,intake_arm_1,30\n2,session_1_arm_1,31\n2,session_2_arm_1,33\n2,discharge_arm_1,45\n",
                 encoding="utf-8")
    res = CliRunner().invoke(main, ["track", str(f), "-i", "fcs", "--id", "record_id", "--session",
                                    "redcap_event_name", "--sd", "10", "--reliability", "0.8",
                                    "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert ("Warning: Session labels (intake_arm_1, session_1_arm_1, session_2_arm_1, discharge_arm_1) are "
            "neither numbers nor one text with different numbers") in res.stderr
    data = pd.read_csv(f, dtype={"record_id": str})
    with pytest.warns(UserWarning, match="in the order they first appear"):
        out = track(data, "fcs", id="record_id", session="redcap_event_name", sd=10, reliability=0.8)
    clients = out.clients.set_index("record_id")
    assert clients["first_session"].tolist() == ["intake_arm_1"] * 2
    assert clients["latest_session"].tolist() == ["discharge_arm_1"] * 2
    assert clients["reliable_change"].tolist() == ["reliable_improvement", "reliable_deterioration"]


def test_no_rows_and_one_column_for_client_and_session(data):
    # before: "No client has fcs_self at two or more sessions" for 0 rows
    with pytest.raises(AnalysisError, match="^There are no rows to track.$"):
        track(data.head(0), "fcs", id="client", session="session", sd=10, reliability=0.8)
    with pytest.raises(AnalysisError, match="columns are both 'client'"):
        track(data, "fcs", id="client", session="client", sd=10, reliability=0.8)


def test_session_dated_before_the_previous_one_is_warned(tmp_path):
    # before: days_from_first was -24 for session 2 (2025-12-12 typed for 2026-01-12), silently
    text = SESSIONS.read_text(encoding="utf-8").replace("A,2,2026-01-12", "A,2,2025-12-12")
    f = tmp_path / "dates.csv"
    f.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(main, ["track", str(f), "-i", "fcs", "--id", "client", "--session", "session",
                                    "--date", "date", "--sd", "10", "--reliability", "0.8"])
    assert res.exit_code == 0, res.output
    assert (f"Warning: {f}: client A: session 2 (row 3) is dated 2025-12-12, before the session before "
            "it (2026-01-05); 1 session dated before the previous one. Check the dates: days_from_first "
            "goes backwards there.\n") in res.stderr
    clean = CliRunner().invoke(main, ["track", str(SESSIONS), "-i", "fcs", "--id", "client", "--session",
                                      "session", "--date", "date", "--sd", "10", "--reliability", "0.8"])
    assert "Warning" not in clean.stderr


def test_rule_needing_more_measures_than_tracked_is_warned(data):
    # before: --min-improved 3 with one measure: client A improved reliably, yet every outcome
    # was no_reliable_change, without a word beyond the rule's description
    with pytest.warns(UserWarning, match=r"Only 1 measure\(s\) with a better/worse direction are tracked, "
                                         r"but reliable improvement needs 3 \(--min-improved\)"):
        track(data, "fcs", id="client", session="session", sd=10, reliability=0.8,
              rule=MultiMeasureRule(min_improved=3))
