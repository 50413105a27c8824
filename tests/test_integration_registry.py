"""Cross-package registry check: every model registered by any installed package builds on meta.

The registry is filled through the ``spike_core.models`` entry points of all workspace packages,
so this file checks the composition "install the packages -> ``spike_core.list_models()`` ->
``create_model``" that a user relies on, without allocating any real memory.
"""

from __future__ import annotations

import pytest
import torch

import spike_core

_NAMES = spike_core.list_models()
_EXPECTED_FAMILIES = {
    # one family per domain package, so a missing entry point is caught
    "spike-core": "mlp",
    "spike-vision": "spikformer",
    "spike-quant/vision": "qsd-transformer",
    "spike-3d": "e3dsnn",
    "spike-cam": "spikmamba",
    "spike-seq": "spikegpt",
    "spike-bmi": "bmi",
}


def test_integration_every_domain_package_registers_models() -> None:
    families = {spike_core.model_entry(n).family for n in _NAMES}
    missing = {pkg: fam for pkg, fam in _EXPECTED_FAMILIES.items() if fam not in families}
    assert not missing, f"entry points not loaded for {missing}"
    assert sorted(_NAMES) == _NAMES
    assert len(set(_NAMES)) == len(_NAMES)


@pytest.mark.parametrize("name", _NAMES)
def test_integration_registered_model_builds_on_meta_with_registered_count(name: str) -> None:
    entry = spike_core.model_entry(name)
    with torch.device("meta"):
        model = spike_core.create_model(name)
    params = list(model.parameters())
    assert params, f"{name} has no parameters"
    assert all(p.is_meta for p in params), f"{name} allocated real parameters on the meta device"
    n = spike_core.count_parameters(model)
    if entry.num_params is not None:
        assert n == entry.num_params, (
            f"{name}: built {n:,} parameters, registered {entry.num_params:,}"
        )
