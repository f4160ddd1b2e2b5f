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


def test_help_offers_debug(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "--debug" in capsys.readouterr().out


def test_no_command_prints_help_and_exits_0(capsys):
    assert main([]) == 0
    assert "usage: sbm-stats" in capsys.readouterr().out
