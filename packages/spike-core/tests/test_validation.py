"""Bad input raises ValueError/TypeError naming the argument; property-based shape checks."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from spike_core import (
    IF,
    LIF,
    PLIF,
    CubaLIF,
    IntLIF,
    LIFCell,
    LIFState,
    create_model,
    get_surrogate,
    rate_encode,
)


@pytest.mark.parametrize("layer", [LIF(), IF(), PLIF(), CubaLIF(), IntLIF()])
def test_wrong_rank_names_x_seq(layer) -> None:
    with pytest.raises(ValueError, match=r"x_seq must have at least 2 dimensions \[T, B, \.\.\.\]"):
        layer(torch.ones(5))


def test_non_floating_input() -> None:
    with pytest.raises(TypeError, match="x_seq must be a floating-point tensor"):
        LIF()(torch.ones(3, 2, dtype=torch.int64))
    with pytest.raises(TypeError, match="x must be a floating-point tensor"):
        LIFCell()(torch.ones(2, dtype=torch.int32))
    with pytest.raises(TypeError, match=r"x_seq must be a torch\.Tensor"):
        LIF()([[1.0]])


def test_nan_input() -> None:
    x = torch.zeros(3, 2, 2)
    x[1, 0, 1] = float("nan")
    with pytest.raises(ValueError, match="x_seq contains NaN"):
        LIF()(x)


def test_unknown_surrogate() -> None:
    with pytest.raises(ValueError, match="unknown surrogate 'tanhh'"):
        LIF(surrogate="tanhh")
    with pytest.raises(ValueError, match="takes only 'alpha'"):
        get_surrogate("atan", width=1.0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"tau_mem": 0.0}, "tau_mem"),
        ({"tau_mem": -2.0}, "tau_mem"),
        ({"tau_mem": 0.5}, "tau_mem"),
        ({"dt": 0.0}, "dt"),
        ({"v_threshold": 0.0}, "v_threshold"),
        ({"reset": "sometimes"}, "reset"),
        ({"beta": 1.5}, "beta"),
    ],
)
def test_bad_lif_parameters(kwargs, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        LIF(**kwargs)


def test_bad_other_parameters() -> None:
    with pytest.raises(ValueError, match="init_tau"):
        PLIF(init_tau=1.0)
    with pytest.raises(ValueError, match="tau_syn"):
        CubaLIF(tau_syn=-1.0)
    with pytest.raises(ValueError, match="levels"):
        IntLIF(levels=0)
    with pytest.raises(ValueError, match="rounding"):
        IntLIF(rounding="up")


def test_mismatched_state_shape() -> None:
    with pytest.raises(ValueError, match=r"state.v has shape \(2, 4\), expected \(2, 3\)"):
        LIF()(torch.ones(4, 2, 3), LIFState(torch.zeros(2, 4)))
    with pytest.raises(TypeError, match="state must be a NamedTuple"):
        LIFCell()(torch.ones(2, 3), torch.zeros(2, 3))


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="unknown backend 'cuda-magic'"):
        LIF(backend="cuda-magic")(torch.ones(2, 1))


def test_unknown_model_name() -> None:
    with pytest.raises(ValueError, match="unknown model name 'resnet-9000'"):
        create_model("resnet-9000")


def test_encoder_errors() -> None:
    with pytest.raises(ValueError, match="T must be a positive int"):
        rate_encode(torch.rand(2), 0)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        rate_encode(torch.tensor([1.5]), 3)


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3)


@settings(max_examples=30, deadline=None)
@given(
    T=st.integers(1, 5),
    shape=shapes,
    tau=st.floats(1.0, 20.0),
    thr=st.floats(0.1, 3.0),
    reset=st.sampled_from(["hard", "soft", "none"]),
    decay_input=st.booleans(),
)
def test_lif_shapes_and_binary_output(T, shape, tau, thr, reset, decay_input) -> None:
    x = torch.randn(T, *shape) * 2
    layer = LIF(tau_mem=tau, v_threshold=thr, reset=reset, decay_input=decay_input)
    out, state = layer(x, return_state=True)
    assert out.shape == x.shape
    assert state.v.shape == x.shape[1:]
    assert set(out.unique().tolist()) <= {0.0, 1.0}
    if reset != "none":
        # After a hard or soft reset nothing stays far above threshold for bounded input.
        assert torch.isfinite(state.v).all()


@settings(max_examples=20, deadline=None)
@given(T=st.integers(1, 5), shape=shapes, levels=st.integers(1, 8))
def test_int_lif_counts_in_range(T, shape, levels) -> None:
    x = torch.randn(T, *shape) * levels
    out = IntLIF(levels=levels)(x)
    assert out.shape == x.shape
    assert out.min() >= 0
    assert out.max() <= levels
    assert torch.equal(out, out.round())
