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
def test_demo_report_numbers_are_reproduced(tmp_path, capsys) -> None:
    """Run the demo, then recompute every headline number of its report from the saved weights."""
    import torch
    from safetensors.torch import load_file

    import spike_convert
    import spike_core
    import spike_hw
    from spike_cli.data import load_digits_split
    from spike_cli.pipeline import (
        HIDDEN,
        build_ann,
        evaluate,
        measure_conversion,
        measure_energy,
    )

    out = tmp_path / "report"
    assert main(["demo", "--out", str(out), "--epochs", "3", "--levels", "4", "--quiet"]) == 0
    printed = capsys.readouterr().out
    r = json.loads((out / "results.json").read_text())
    assert f"Report: {out / 'report.md'}" in printed
    report = (out / "report.md").read_text()
    for key in (
        "snn_accuracy",
        "ann_accuracy",
        "snn_converted_accuracy",
        "snn_energy_j",
        "ann_energy_j",
    ):
        assert f"| {key} | {r[key]:.4g} |" in report
    for fig in ("raster.png", "energy.png"):
        assert (out / fig).read_bytes()[:4] == b"\x89PNG"
        assert f"]({fig})" in report

    weights = load_file(str(out / "weights.safetensors"))

    def part(prefix: str) -> dict[str, torch.Tensor]:
        return {k[len(prefix) + 1 :]: v for k, v in weights.items() if k.startswith(prefix + ".")}

    data = load_digits_split(seed=0)
    snn = spike_core.create_model("spiking-mlp", hidden=(HIDDEN,), time_steps=4)
    snn.load_state_dict(part("snn"))
    x_test = spike_core.direct_encode(data.x_test, 4).contiguous()
    assert evaluate(snn, x_test, data.y_test) == r["snn_accuracy"]
    assert r["snn_accuracy"] > 0.7  # chance is 0.1

    ann = build_ann()
    ann.load_state_dict(part("ann"))
    with torch.no_grad():
        assert (
            float((ann(data.x_test).argmax(-1) == data.y_test).float().mean()) == r["ann_accuracy"]
        )
    qann = spike_convert.quantize_cnn(ann, levels=4)
    qann.load_state_dict(part("qann"))
    bif = spike_convert.convert_cnn(qann, unit_spikes=True)
    conv = measure_conversion(qann, bif, data)
    # The step at which the BIF network falls quiet can move by one when a membrane sits within
    # float round-off of a threshold (GEMM summation order); every output-level number is exact.
    assert abs(r.pop("snn_converted_steps") - conv.pop("snn_converted_steps")) <= 1
    err = conv.pop("conversion_max_abs_error")
    assert err < 1e-4
    for key, value in conv.items():
        assert r[key] == value, key
    assert r["conversion_max_abs_error"] < 1e-4  # lossless up to float summation order
    assert r["snn_converted_accuracy"] == r["qann_accuracy"]
    snn_e, ann_e = measure_energy(ann, bif, data.x_test)
    assert snn_e.energy == pytest.approx(r["snn_energy_j"], rel=1e-9)
    assert ann_e.energy == pytest.approx(r["ann_energy_j"], rel=1e-9)
    assert snn_e.acs > 0  # the hidden layer's synapses see spikes, counted as accumulates

    back = spike_hw.from_nir(spike_hw.read_nir(out / r["nir_file"]))
    with torch.no_grad():
        torch.testing.assert_close(
            back(x_test[:, :8]), torch.nn.Sequential(snn.features, snn.head)(x_test[:, :8])
        )


def test_models_lists_and_counts(capsys) -> None:
    assert main(["models", "--family", "mlp", "--count"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:2] == ["model", "family"]
    row = next(line for line in out if line.startswith("spiking-mlp"))
    assert row.split()[-2:] == ["9,610", "9,610"]
    assert main(["models", "--family", "no-such-family"]) == 2
    assert "no models in family 'no-such-family'" in capsys.readouterr().err
