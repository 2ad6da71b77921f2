"""Speed work (#16): thread guards and lazy imports that keep results identical but faster."""
import numpy as np
import pandas as pd
import pytest
from testkit import ROOT


def test_bootstrap_alpha_runs_blas_on_one_thread(monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    import compassion_scales.analyses.reliability as ic

    def blas_threads():
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}

    seen = []
    real = ic.bootstrap_alpha

    def spy(*args, **kwargs):
        seen.append(blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(ic, "bootstrap_alpha", spy)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.integers(1, 6, (200, 5)), columns=list("abcde"))
    # the suite runs BLAS on one thread (tests/conftest.py): give it two, so the guard has work to do
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == {2}
        with_guard = ic.cronbach_alpha(X, n_boot=200, seed=3)
    assert seen == [{1}]
    # same resamples, same interval as without the guard (up to the last bits of a sum)
    boots = real(X.to_numpy(float), 200, 3)
    p = 0.025
    np.testing.assert_allclose(with_guard.loc[0, ["boot_ci_low", "boot_ci_high"]].to_numpy(float),
                               np.quantile(boots, [p, 1 - p]), rtol=1e-12)


@pytest.mark.slow
def test_commands_load_statsmodels_matplotlib_and_numba_only_when_needed() -> None:
    """flows --time (mixed model) and trial (ANCOVA) used to import statsmodels; compare
    imported pingouin (statsmodels, matplotlib, seaborn) for its Bayes factor. The compiled
    scoring kernel (#16) is for big data only: --help, a 300-row file (CLI and library, every
    instrument it holds) and a stream must not pay for importing numba.

    One interpreter runs every command (each module is imported at most once per process, so
    one start-up checks them all; any of them importing a heavy module fails the test)."""
    import subprocess
    import sys

    code = """
import os, sys, tempfile
from click.testing import CliRunner
from compassion_scales.cli import main
import compassion_scales as cs
data = "examples/responses.csv"
streamed = os.path.join(tempfile.mkdtemp(), "scores.csv")
runs = [["--help"], ["score", data, "-i", "fcs", "--id", "pid", "--id", "time"],
        ["score", data, "--id", "pid", "--id", "time", "--stream", "-o", streamed],
        ["flows", data, "-i", "ceas", "--group", "group", "--time", "time", "--id", "pid"],
        ["trial", data, "-i", "fcs", "--arm", "group", "--time", "time", "--baseline-time", "1",
         "--follow-up-time", "2", "--id", "pid"],
        ["change", data, "-i", "fcs", "--id", "pid", "--time", "time", "--from", "1", "--to", "2"],
        ["reliability", data, "-i", "fcs", "--boot", "0"],
        ["compare", data, "-i", "fcs", "--group", "group"]]
for args in runs:
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, (args, r.output)
cs.score(cs.read_responses(data), id=["pid", "time"])
print(",".join(m for m in ("statsmodels", "matplotlib", "numba") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == ""


def test_a_command_leaves_the_objects_to_the_os_at_exit() -> None:
    """The CLI registers gc.freeze as an exit handler (#16): an exit handler registered
    before it runs after it and sees every object frozen; output and exit status unchanged."""
    import subprocess
    import sys

    code = ("import atexit, gc\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
            "from compassion_scales.cli import main\n"
            "main(['--version'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    from compassion_scales import __version__

    assert out.stdout == f"cscore, version {__version__}\nfrozen True\n"


def test_scoring_a_small_file_imports_only_what_it_uses(tmp_path) -> None:
    """Start-up (#16): `cscore score FILE -i fcs -o OUT.csv` on a small file reads the shipped
    instrument without PyYAML or jsonschema, decides not to stream without importing the
    streaming module, checks -o without importing the document writers, prints its summary
    without tabulate and records package versions without importlib.metadata (run from a
    scratch folder: in the repository, setuptools' ``cscore.egg-info`` is found first and
    sends the version lookup to importlib.metadata, as it should)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from compassion_scales.cli import main\n"
            "try:\n"
            f"    main(['score', {str(ROOT / 'examples' / 'responses.csv')!r}, '-i', 'fcs', '--id', 'pid', '--id', 'time',"
            f" '-o', {str(tmp_path / 'scores.csv')!r}])\n"
            "except SystemExit as e:\n"
            "    assert not e.code, e.code\n"
            "heavy = ('yaml', 'jsonschema', 'compassion_scales.streaming', 'compassion_scales.reporting.tables',"
            " 'tabulate', 'importlib.metadata')\n"
            "print(','.join(m for m in heavy if m in sys.modules), file=sys.stderr)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stderr.splitlines()[-1] == ""
    assert (tmp_path / "scores.csv").exists()
