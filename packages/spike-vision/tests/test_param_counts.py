"""Full-size parameter counts from the spec, built on the meta device."""

import pytest
import torch

from spike_core import count_parameters, create_model, meta_parameter_count, model_entry

SPEC_COUNTS = [
    # (name, overrides, count) -- spec spike-vision.md sections 1.6, 3.4, 4.6, 6
    ("spikformer-8-384", {}, 16_816_024),
    ("spikformer-8-384", {"reference_compat": True}, 16_828_312),
    ("spikformer-6-512", {}, 23_373_352),
    ("spikformer-6-512", {"reference_compat": True}, 23_385_640),
    ("spikformer-8-512", {}, 29_689_384),
    ("spikformer-8-512", {"reference_compat": True}, 29_705_768),
    ("spikformer-10-512", {}, 36_005_416),
    ("spikformer-10-512", {"reference_compat": True}, 36_025_896),
    ("spikformer-8-768", {}, 66_338_632),
    ("spikformer-8-768", {"reference_compat": True}, 66_363_208),
    ("spikformer-4-384-cifar10", {}, 9_324_730),
    ("spikformer-4-384-cifar10", {"reference_compat": True}, 9_330_874),
    ("spikformer-4-384-cifar100", {}, 9_359_380),
    ("spikformer-4-384-cifar100", {"reference_compat": True}, 9_365_524),
    ("spikformer-2-256-cifar10dvs", {}, 2_566_666),
    ("spikformer-2-256-cifar10dvs", {"reference_compat": True}, 2_585_610),
    ("sdt-8-384", {"reference_compat": True}, 16_816_536),
    ("sdt-6-512", {"reference_compat": True}, 23_373_736),
    ("sdt-8-512", {"reference_compat": True}, 29_689_896),
    ("sdt-8-512", {}, 29_689_384),
    ("sdt-10-512", {"reference_compat": True}, 36_006_056),
    ("sdt-8-768", {"reference_compat": True}, 66_339_144),
    ("sdt-8-768", {}, 66_338_632),
    ("sdt-2-512-cifar10", {"reference_compat": True}, 10_233_546),
    ("sdt-2-512-cifar100", {"reference_compat": True}, 10_279_716),
    ("sdt-2-256-cifar10dvs", {"reference_compat": True}, 2_566_794),
    ("sdt-2-256-gesture", {"reference_compat": True}, 2_567_051),
    ("meta-spikeformer-15m", {}, 15_112_208),
    ("meta-spikeformer-15m", {"kd_head": True}, 15_473_208),
    ("meta-spikeformer-31m", {}, 31_333_864),
    ("meta-spikeformer-31m", {"kd_head": True}, 31_814_864),
    ("meta-spikeformer-55m", {}, 55_350_248),
    ("meta-spikeformer-55m", {"kd_head": True}, 55_991_248),
    ("meta-spikeformer-8-768", {}, 123_741_160),
    ("meta-spikeformer-8-768", {"kd_head": True}, 124_702_160),
]


@pytest.mark.parametrize(("name", "overrides", "count"), SPEC_COUNTS)
def test_spec_parameter_count(name: str, overrides: dict, count: int) -> None:
    assert meta_parameter_count(name, **overrides) == count


@pytest.mark.parametrize(
    ("name", "backbone"),
    [
        ("meta-spikeformer-15m", 14_751_208),
        ("meta-spikeformer-31m", 30_852_864),
        ("meta-spikeformer-55m", 54_709_248),
        ("meta-spikeformer-8-768", 122_780_160),
    ],
)
def test_meta_spikeformer_backbone_only(name: str, backbone: int) -> None:
    with torch.device("meta"):
        model = create_model(name)
    assert model.num_parameters() - count_parameters(model.head) == backbone


def test_meta_spikeformer_55m_stage_breakdown() -> None:
    with torch.device("meta"):
        m = create_model("meta-spikeformer-55m")
    stage1 = sum(
        count_parameters(x)
        for x in (m.downsample1_1, m.conv_block1_1, m.downsample1_2, m.conv_block1_2)
    )
    assert stage1 == 1_662_080
    assert count_parameters(m.downsample2) + count_parameters(m.conv_block2) == 10_315_520
    assert count_parameters(m.downsample3) + count_parameters(m.block3) == 26_577_408
    assert count_parameters(m.downsample4) + count_parameters(m.block4) == 16_154_240
    assert count_parameters(m.head) == 641_000


def test_spikformer_formula_matches_count() -> None:
    # spec 1.6: per block 12 D^2 + 24 D, SPS 9 (3D/8 + D^2/32 + D^2/8 + D^2/2 + D^2) + 2 (...)
    for d, depth in [(384, 8), (512, 6), (768, 8)]:
        sps = 9 * (3 * d // 8 + d * d // 32 + d * d // 8 + d * d // 2 + d * d)
        sps += 2 * (d // 8 + d // 4 + d // 2 + 2 * d)
        total = sps + depth * (12 * d * d + 24 * d) + 1000 * d + 1000
        assert meta_parameter_count(f"spikformer-{depth}-{d}") == total


def test_registered_counts_match_default_builds() -> None:
    for name in [n for n, _, _ in SPEC_COUNTS]:
        entry = model_entry(name)
        if entry.num_params is not None:
            assert meta_parameter_count(name) == entry.num_params, name
