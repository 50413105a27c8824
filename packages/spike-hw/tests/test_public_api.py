from importlib.metadata import version

import spike_hw


def test_all_names_resolve() -> None:
    assert len(set(spike_hw.__all__)) == len(spike_hw.__all__)
    for name in spike_hw.__all__:
        assert getattr(spike_hw, name) is not None, name


def test_version_matches_metadata() -> None:
    assert spike_hw.__version__ == version("spike-hw")
