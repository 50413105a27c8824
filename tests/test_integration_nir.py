"""Registered spike-core models -> spike-hw NIR export -> import / simulate / fixed point / energy."""

from __future__ import annotations

import pytest
import torch

import spike_core
from spike_energy import estimate_energy
from spike_hw import from_nir, read_nir, simulate_fixed_point, simulate_nir, to_nir, write_nir

pytest.importorskip("nir")


def _mlp() -> tuple[torch.nn.Module, torch.Tensor, tuple[int, ...]]:
    torch.manual_seed(0)
    model = spike_core.create_model("spiking-mlp", hidden=(16,)).eval()
    x = torch.rand(6, 3, 64) * 3  # [T, B, 64]
    return model, x, (64,)


def _cnn() -> tuple[torch.nn.Module, torch.Tensor, tuple[int, ...]]:
    torch.manual_seed(0)
    model = spike_core.create_model("spiking-cnn", channels=(4, 6)).eval()
    x = torch.rand(4, 2, 1, 8, 8) * 2  # [T, B, C, H, W]
    return model, x, (1, 8, 8)


_MODELS = {"spiking-mlp": _mlp, "spiking-cnn": _cnn}


def _neuron_outputs(model: torch.nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Read-out under ``""`` and every neuron's output by module name, in execution order."""
    seen: dict[str, torch.Tensor] = {}

    def hook(name: str):
        return lambda _m, _a, o: seen.__setitem__(name, o.detach().clone())

    hooks = [
        m.register_forward_hook(hook(n))
        for n, m in model.named_modules()
        if isinstance(m, spike_core.MultiStepNeuron)
    ]
    with torch.no_grad():
        out = model(x)
    for h in hooks:
        h.remove()
    return {"": out, **seen}


@pytest.mark.parametrize("name", sorted(_MODELS))
def test_integration_registered_model_nir_round_trip_same_spikes(name: str, tmp_path) -> None:
    model, x, shape = _MODELS[name]()
    ref = _neuron_outputs(model, x)
    ref_out = ref.pop("")
    assert ref
    assert sum(int(s.sum()) for s in ref.values()) > 0  # the test is not vacuous

    graph = to_nir(model, input_shape=shape)
    back = from_nir(read_nir(write_nir(graph, tmp_path / f"{name}.nir")))
    got = _neuron_outputs(back, x)
    out = got.pop("")
    assert len(got) == len(ref)
    for a, b in zip(got.values(), ref.values(), strict=True):
        assert torch.equal(a, b)
    assert torch.allclose(out, ref_out, atol=1e-5)

    # the float64 graph reference also reproduces the read-out
    sim = simulate_nir(graph, x)
    assert torch.allclose(sim["outputs"]["output"].float(), ref_out, atol=1e-4)
    assert set(sim["spikes"]) == {n.replace(".", "_") for n in ref}
    for n, spk in ref.items():
        assert torch.equal(sim["spikes"][n.replace(".", "_")].to(spk.dtype), spk)


def test_integration_fixed_point_acs_equal_energy_acs_for_linear_hidden_layer() -> None:
    """Binary spikes into a Linear layer: spike-hw counts one AC per spike and target
    (``spikes * C_out``), spike-energy ``dense * rate = C_in C_out T * rate`` per sample: equal
    when both see the same spikes. The fixed-point run's spikes are fed to spike-energy."""
    model, x, shape = _mlp()
    graph = to_nir(model, input_shape=shape)
    run = simulate_fixed_point(graph, x, weight_bits=16, frac_bits=20)
    counters = run["counters"]
    (spk_name,) = run["spikes"]
    hw_spikes = run["spikes"][spk_name].float().reshape(x.shape[0], x.shape[1], -1)
    assert int(hw_spikes.sum()) == counters[spk_name]["spikes_out"] > 0
    # hidden layer fed by spikes: ACs = spikes x fan-out, no MACs
    assert counters["head"]["acs"] == counters[spk_name]["spikes_out"] * 10
    assert counters["head"]["macs"] == 0
    # the first layer is fed by real values: dense MACs for every step and sample
    assert counters["features_0"]["macs"] == 64 * 16 * x.shape[0] * x.shape[1]

    report = estimate_energy(model.head, hw_spikes)
    (rec,) = [r for r in report.layers if r.category == "synaptic"]
    assert rec.kind == "binary"
    assert rec.acs * x.shape[1] == pytest.approx(counters["head"]["acs"])


def test_integration_registered_model_runs_in_snntorch_via_nir() -> None:
    """spike-core model -> spike-hw NIR -> snnTorch ``import_from_nir``: same read-out."""
    pytest.importorskip("snntorch")
    from snntorch.import_nir import import_from_nir

    model, x, shape = _mlp()
    ref = _neuron_outputs(model, x)
    assert int(ref["features.1"].sum()) > 0
    theirs = import_from_nir(to_nir(model, input_shape=shape, dt=1e-4))
    state, out = None, []
    with torch.no_grad():
        for t in range(x.shape[0]):  # snnTorch graphs are stepped one time step at a time
            o, state = theirs(x[t], state)
            out.append(o)
    assert torch.allclose(torch.stack(out), ref[""], atol=1e-5)


def test_integration_converted_bif_snn_has_no_nir_mapping_error_names_layer() -> None:
    """spike-convert's BIF neuron is not a NIR primitive: the export fails clearly, up front."""
    from spike_convert import convert_cnn, quantize_cnn
    from spike_hw import UnsupportedNodeError

    torch.manual_seed(0)
    ann = torch.nn.Sequential(torch.nn.Linear(10, 12), torch.nn.ReLU(), torch.nn.Linear(12, 3))
    qann = quantize_cnn(ann, levels=4, calibration=torch.rand(8, 10))
    snn = convert_cnn(qann, unit_spikes=True)
    with pytest.raises(UnsupportedNodeError, match=r"'1'.*BIF"):
        to_nir(snn.net, input_shape=(10,))
    assert issubclass(UnsupportedNodeError, ValueError)
