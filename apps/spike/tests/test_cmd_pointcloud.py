import pytest

from spike_cli.main import main


def test_help_exits_zero():
    with pytest.raises(SystemExit) as exc:
        main(["pointcloud", "--help"])
    assert exc.value.code == 0


@pytest.mark.slow  # builds an optimizer (imports torch._dynamo) and loads the model registry
def test_tiny_training_run_prints_accuracy(capsys):
    argv = ["pointcloud", "--epochs", "1", "--train-samples", "6", "--test-samples", "6"]
    argv += ["--points", "48", "--grid-size", "0.25", "--batch-size", "6", "--rotation", "full"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "e3dsnn-t: 1,869,830 parameters" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("test accuracy:"))
    assert 0.0 <= float(line.split(":")[1]) <= 1.0


@pytest.mark.parametrize(
    "argv",
    [["--epochs", "0"], ["--grid-size", "0"], ["--model", "e3dsnn-seg"], ["--model", "nope"]],
)
def test_bad_input_returns_two(argv, capsys):
    assert main(["pointcloud", *argv]) == 2
    assert "error" in capsys.readouterr().err
