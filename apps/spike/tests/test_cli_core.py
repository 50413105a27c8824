"""In-process tests of the core subcommands: info, demo, help and error handling."""

from __future__ import annotations

import json

import pytest

from spike_cli.main import build_parser, main


def test_every_subcommand_has_help(capsys) -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {"info", "demo"} <= set(sub.choices)
    for name in sub.choices:
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        assert "usage: spike" in capsys.readouterr().out


def test_no_command_prints_help(capsys) -> None:
    assert main([]) == 0
    assert "COMMAND" in capsys.readouterr().out


def test_info_lists_packages_models_backends(capsys) -> None:
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "spike-core" in out
    assert "spiking-mlp" in out
    assert "Kernel backends: " in out
    assert "torch" in out.split("Kernel backends: ")[1]


def test_demo_bad_input_is_one_line(capsys) -> None:
    assert main(["demo", "--epochs", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["spike demo: error: --epochs must be >= 1, got 0"]


@pytest.mark.slow
def test_demo_writes_report_and_learns(tmp_path, capsys) -> None:
    out = tmp_path / "report"
    assert main(["demo", "--out", str(out), "--epochs", "3", "--quiet"]) == 0
    printed = capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    assert results["snn_accuracy"] > 0.7  # chance is 0.1
    assert f"SNN test accuracy: {results['snn_accuracy']:.4f}" in printed
    assert (out / "raster.png").read_bytes()[:4] == b"\x89PNG"
    report = (out / "report.md").read_text()
    assert "![Hidden-layer raster](raster.png)" in report
    assert f"{results['snn_accuracy']:.4g}" in report
