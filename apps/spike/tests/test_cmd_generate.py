"""``spike generate``: help, quick training + streaming, checkpoint round trip, bad input."""

from __future__ import annotations

import pytest

from spike_cli.main import main

QUICK = ["--train-steps", "2", "--width", "16", "--ctx-len", "16", "--batch-size", "2"]


def test_help_exits_zero(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["generate", "--help"])
    assert exc.value.code == 0
    assert "--checkpoint" in capsys.readouterr().out


@pytest.mark.slow  # imports torch's optimiser stack and compiles LIF kernels: slow on cold CPUs
def test_quick_train_save_and_load(tmp_path, capsys) -> None:
    ckpt = tmp_path / "tiny.safetensors"
    rc = main(["generate", *QUICK, "--tokens", "12", "--prompt", "Ben", "--save", str(ckpt)])
    assert rc == 0
    first = capsys.readouterr()
    assert first.out.startswith("Ben")
    assert len(first.out.rstrip("\n")) == 3 + 12
    assert "bits/char" in first.err
    assert ckpt.is_file()
    rc = main(["generate", "--checkpoint", str(ckpt), "--tokens", "12", "--prompt", "Ben"])
    assert rc == 0
    # same weights, same seed -> the same continuation
    assert capsys.readouterr().out == first.out


def test_bad_input(tmp_path, capsys) -> None:
    assert main(["generate", "--checkpoint", str(tmp_path / "missing.safetensors")]) == 2
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"garbage")
    assert main(["generate", "--checkpoint", str(bad)]) == 2
    assert main(["generate", *QUICK, "--tokens", "2", "--prompt", "\u00e9t\u00e9"]) == 2
    err = capsys.readouterr().err
    assert "outside the vocabulary" in err
    assert main(["generate", "--tokens", "-1"]) == 2
    assert main(["generate", *QUICK, "--top-p", "0"]) == 2
