import json

import pytest
import torch

import spike_core
from spike_cli.main import main


def test_help_exits_zero() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["energy", "--help"])
    assert exc.value.code == 0


@pytest.mark.slow
def test_energy_on_example_input_writes_files(tmp_path, capsys) -> None:
    rc = main(
        [
            "energy",
            "spiking-mlp",
            "--timesteps",
            "2",
            "--csv",
            str(tmp_path / "e.csv"),
            "--json",
            str(tmp_path / "e.json"),
            "--png",
            str(tmp_path / "e.png"),
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "E_SNN" in out
    assert "features.0.module" in out
    data = json.loads((tmp_path / "e.json").read_text())
    assert data["T"] == 2
    assert data["totals"]["macs"] > 0
    assert (tmp_path / "e.csv").read_text().startswith("name,")
    assert (tmp_path / "e.png").read_bytes()[:4] == b"\x89PNG"


def test_energy_random_spikes_and_weights_file(tmp_path, capsys) -> None:
    torch.manual_seed(3)
    model = spike_core.create_model("spiking-mlp")
    torch.save(model.state_dict(), tmp_path / "w.pt")
    rc = main(
        [
            "energy",
            "spiking-mlp",
            "--input-shape",
            "64",
            "--spike-rate",
            "0.25",
            "--weights",
            str(tmp_path / "w.pt"),
            "--json",
            str(tmp_path / "e.json"),
        ]
    )
    assert rc == 0
    first = json.loads((tmp_path / "e.json").read_text())["layers"][0]
    assert first["kind"] == "binary"
    assert abs(first["in_rate"] - 0.25) < 0.1


def test_energy_bad_inputs(tmp_path, capsys) -> None:
    assert main(["energy", "no-such-model"]) == 2
    assert "unknown model name" in capsys.readouterr().err
    assert main(["energy", "spiking-mlp", "--input-shape", "7"]) == 2
    err = capsys.readouterr().err
    assert "failed on input of shape (4, 1, 7)" in err
    assert "7 features" in err
    assert main(["energy", "spiking-mlp", "--profile", "3nm"]) == 2
    assert main(["energy", "spiking-mlp", "--weights", str(tmp_path / "missing.pt")]) == 2
    with pytest.raises(SystemExit):
        main(["energy", "spiking-mlp", "--input-shape", "a,b"])
