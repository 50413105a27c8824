from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from spike_core import (
    LIF,
    SeqToBatch,
    SpikeMonitor,
    SpikingModel,
    count_parameters,
    create_model,
    list_models,
    meta_parameter_count,
    model_entry,
    register_model,
)
from spike_core.testing import check_model


@dataclasses.dataclass(frozen=True, kw_only=True)
class TinyConfig:
    in_features: int = 6
    hidden: int = 8
    num_classes: int = 3


class Tiny(SpikingModel):
    def __init__(self, cfg: TinyConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.fc = SeqToBatch(nn.Linear(cfg.in_features, cfg.hidden))
        self.lif = LIF()
        self.head = SeqToBatch(nn.Linear(cfg.hidden, cfg.num_classes))

    def forward_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        return self.lif(self.fc(x_seq))

    def reset_classifier(self, num_outputs: int) -> None:
        self.head = SeqToBatch(nn.Linear(self.cfg.hidden, num_outputs))

    def example_input(self, batch_size: int = 2, time_steps: int = 2) -> torch.Tensor:
        return torch.rand(time_steps, batch_size, self.cfg.in_features) * 4


register_model("test-tiny", family="test", config=TinyConfig(), num_params=6 * 8 + 8 + 8 * 3 + 3)(
    Tiny
)


def test_create_list_and_overrides() -> None:
    assert "test-tiny" in list_models()
    assert list_models("test") == ["test-tiny"]
    m = create_model("test-tiny", num_classes=5)
    assert m(torch.rand(2, 1, 6)).shape == (2, 1, 5)
    with pytest.raises(ValueError, match=r"unknown override\(s\) \['depth'\]"):
        create_model("test-tiny", depth=3)
    with pytest.raises(ValueError, match="already registered"):
        register_model("test-tiny", family="test", config=TinyConfig())(Tiny)
    with pytest.raises(ValueError, match="did you mean"):
        create_model("test-tin")


def test_meta_count_and_check_model() -> None:
    assert meta_parameter_count("test-tiny") == model_entry("test-tiny").num_params
    m = create_model("test-tiny")
    assert m.num_parameters() == count_parameters(m)
    check_model(m, expected_shape=(2, 2, 3))
    m.reset_classifier(7)
    assert m(m.example_input()).shape[-1] == 7


def test_check_model_catches_shape_and_nondeterminism() -> None:
    class Drifting(Tiny):
        calls = 0

        def forward(self, x_seq: torch.Tensor) -> torch.Tensor:
            self.calls += 1  # hidden state across calls: not a pure function of input and seed
            return super().forward(x_seq) * self.calls

    with pytest.raises(AssertionError, match="shape"):
        check_model(Tiny(TinyConfig()), expected_shape=(9,))
    with pytest.raises(AssertionError, match="not deterministic"):
        check_model(Drifting(TinyConfig()))


def test_spike_monitor_counts() -> None:
    net = nn.Sequential(SeqToBatch(nn.Linear(3, 4)), LIF(), SeqToBatch(nn.Linear(4, 2)), LIF())
    x = torch.rand(5, 2, 3) * 3
    with SpikeMonitor(net, record=True) as mon:
        net(x)
        net(x)
    assert set(mon.stats) == {"1", "3"}
    st = mon.stats["1"]
    assert st.calls == 2
    assert st.num_elements == 2 * 5 * 2 * 4
    out1 = LIF()(net[0](x))
    assert st.spike_count == pytest.approx(2 * out1.sum().item())
    assert mon.firing_rates()["1"] == pytest.approx(out1.mean().item())
    assert len(mon.records["3"]) == 2
    net(x)  # detached: no more counting
    assert mon.stats["1"].calls == 2
