from sbm_stats import __version__
from sbm_stats.cli import main


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"sbm-stats {__version__}"


def test_data_check_passes_on_bundled_data(capsys):
    assert main(["data", "check"]) == 0
    out = capsys.readouterr().out
    assert "municipalities            290 rows" in out
    assert "all tables valid" in out
