import re

import pytest

from spike_cli.main import main


def test_help_exits_zero(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["convert", "--help"])
    assert exc.value.code == 0
    assert "--levels" in capsys.readouterr().out


def test_digits_mlp_exact_and_save_load(tmp_path, capsys) -> None:
    weights = tmp_path / "mlp.safetensors"
    args = ["convert", "--epochs", "2", "--qat-epochs", "1", "--hidden", "16", "--levels", "4"]
    assert main([*args, "--save", str(weights)]) == 0
    out = capsys.readouterr().out
    q = float(re.search(r"QANN \(quantized, L=4\)\s+([\d.]+)%", out).group(1))
    s = float(re.search(r"SNN \(BIF, converted\)\s+([\d.]+)%", out).group(1))
    err = float(re.search(r"max \|QANN - SNN\| output: (\S+)", out).group(1))
    assert q == s
    assert err <= 1e-12
    assert "quiet: True" in out
    assert weights.exists()
    assert main([*args, "--weights", str(weights)]) == 0
    out2 = capsys.readouterr().out
    assert "loaded" in out2
    assert re.search(r"QANN \(quantized, L=4\)\s+([\d.]+)%", out2).group(1) == str(q) or (
        float(re.search(r"QANN \(quantized, L=4\)\s+([\d.]+)%", out2).group(1)) == q
    )


def test_sequential_digits_rnn(capsys) -> None:
    args = ["convert", "--task", "ps-digits", "--epochs", "1", "--qat-epochs", "0", "--hidden", "8"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "PS-Digits" in out
    assert "64 elements" in out
    err = float(re.search(r"max \|QANN - SNN\| output: (\S+)", out).group(1))
    assert err <= 1e-12


def test_bad_input(tmp_path, capsys) -> None:
    assert main(["convert", "--levels", "0"]) == 2
    assert "--levels" in capsys.readouterr().err
    assert main(["convert", "--weights", str(tmp_path / "missing.safetensors")]) == 2
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    assert main(["convert", "--weights", str(bad)]) == 2
    assert "safetensors" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["convert", "--task", "cifar"])
