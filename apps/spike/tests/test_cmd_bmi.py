"""``spike bmi``: tiny end-to-end runs, help and bad input."""

from pathlib import Path

import pytest
import torch

from spike_bmi import make_fake_reaching_mat
from spike_cli.main import main


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["bmi", "--help"])
    assert exc.value.code == 0
    assert "--model" in capsys.readouterr().out


def test_synthetic_run_prints_table_and_writes_png(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fig.png"
    argv = ["bmi", "--channels", "8", "--duration", "16", "--steps", "2", "--window", "20"]
    assert main([*argv, "--batch-size", "2", "--select", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    for name in ("raw", "bessel-low-latency", "bessel-high-accuracy", "selected-bessel"):
        assert name in text
    assert "36" in text
    assert "196" in text
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_local_mat_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = make_fake_reaching_mat(
        tmp_path / "indy_tiny.mat", n_channels=4, duration_s=8.0, n_reaches=8
    )
    argv = ["bmi", "--data", str(path), "--model", "ann", "--steps", "1", "--window", "10"]
    with pytest.warns(UserWarning, match="channels"):
        assert main([*argv, "--batch-size", "2", "--no-plot"]) == 0
    assert "indy_tiny.mat" in capsys.readouterr().out


def test_bad_input_returns_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bmi", "--data", str(tmp_path / "missing.mat"), "--no-plot"]) == 2
    junk = tmp_path / "indy_junk.mat"
    junk.write_bytes(b"not hdf5")
    assert main(["bmi", "--data", str(junk), "--no-plot"]) == 2
    assert "not a MATLAB v7.3" in capsys.readouterr().err
    assert main(["bmi", "--duration", "-1", "--no-plot"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["bmi", "--steps", "0"])
    assert exc.value.code != 0
