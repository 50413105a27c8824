"""UCI digits: 4-bit LSQ spiking CNN vs its float twin (reduced run of scripts/digits_qat.py)."""

import importlib.util
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "digits_qat", Path(__file__).parents[1] / "scripts" / "digits_qat.py"
)
digits = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(digits)


@pytest.mark.slow
def test_4bit_within_1p5_points_of_float_and_integer_export_agrees() -> None:
    a_fp, _ = digits.train_eval(None, epochs=12, seed=0)
    a_q, net = digits.train_eval(4, epochs=12, seed=0)
    assert a_fp > 90.0
    assert a_fp - a_q <= 1.5
    assert digits.integer_accuracy(net, 0) == pytest.approx(a_q, abs=0.25)
