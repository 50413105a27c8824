from importlib.metadata import version

import spike_core


def test_all_names_resolve() -> None:
    assert len(set(spike_core.__all__)) == len(spike_core.__all__)
    for name in spike_core.__all__:
        assert getattr(spike_core, name) is not None, name


def test_version_matches_metadata() -> None:
    assert spike_core.__version__ == version("spike-core")
