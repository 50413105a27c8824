import pytest
import torch

nir = pytest.importorskip("nir")

import spike_core  # noqa: E402
from spike_cli.main import main  # noqa: E402
from spike_hw import from_nir, read_nir  # noqa: E402


def test_help_exits_zero() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["export", "--help"])
    assert exc.value.code == 0


def test_export_registered_model_with_weights_to_nir(tmp_path) -> None:
    torch.manual_seed(0)
    model = spike_core.create_model("spiking-mlp")
    weights = tmp_path / "w.pt"
    torch.save(model.state_dict(), weights)
    out = tmp_path / "mlp.nir"
    assert (
        main(["export", "spiking-mlp", "--to", "nir", "-o", str(out), "--weights", str(weights)])
        == 0
    )
    g = read_nir(out)
    x = torch.rand(4, 2, 64)
    with torch.no_grad():
        assert torch.allclose(from_nir(g)(x), model.eval()(x), atol=1e-5)


def test_bad_input_returns_nonzero(tmp_path) -> None:
    out = str(tmp_path / "x.nir")
    assert main(["export", "no-such-model", "--to", "nir", "-o", out]) == 2
    assert main(["export", "spiking-mlp", "--to", "nir", "-o", out, "--input-shape", "a,b"]) == 2
    assert (
        main(
            [
                "export",
                "spiking-mlp",
                "--to",
                "nir",
                "-o",
                out,
                "--weights",
                str(tmp_path / "none.pt"),
            ]
        )
        == 2
    )
    # a model NIR cannot express (integer spikes / attention) fails with a clear message
    assert (
        main(["export", "qsd-transformer-8m", "--to", "nir", "-o", out, "--input-shape", "3,32,32"])
        == 2
    )


def test_export_to_pynn_script(tmp_path) -> None:
    out = tmp_path / "mlp_pynn.py"
    assert main(["export", "spiking-mlp", "--to", "pynn", "-o", str(out)]) == 0
    text = out.read_text()
    compile(text, str(out), "exec")
    assert "IF_curr_delta" in text
    assert "import pyNN.nest as sim" in text
