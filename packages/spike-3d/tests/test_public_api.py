from importlib.metadata import version

import spike_3d


def test_all_names_resolve() -> None:
    assert len(set(spike_3d.__all__)) == len(spike_3d.__all__)
    for name in spike_3d.__all__:
        assert getattr(spike_3d, name) is not None, name


def test_version_matches_metadata() -> None:
    assert spike_3d.__version__ == version("spike-3d")
