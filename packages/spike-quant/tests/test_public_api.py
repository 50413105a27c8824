from importlib.metadata import version

import spike_quant


def test_all_names_resolve() -> None:
    assert len(set(spike_quant.__all__)) == len(spike_quant.__all__)
    for name in spike_quant.__all__:
        assert getattr(spike_quant, name) is not None, name


def test_version_matches_metadata() -> None:
    assert spike_quant.__version__ == version("spike-quant")
