"""``spike cam-memory``: the CA3 CAM functional experiment from the command line."""

import pytest

from spike_cli.main import main


def test_help() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["cam-memory", "--help"])
    assert exc.value.code == 0


def test_functional_experiment(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cam-memory", "--experiment", "functional"]) == 0
    out = capsys.readouterr().out
    assert "5/5 recalls as expected" in out
    assert "t=  80 recall_content (6,)" in out


def test_plain_rule_differs_and_bad_input() -> None:
    assert main(["cam-memory", "--stdp-window", "inf"]) == 1
    assert main(["cam-memory", "--experiment", "nope"]) == 2
    assert main(["cam-memory", "--stdp-window", "-1"]) == 2
