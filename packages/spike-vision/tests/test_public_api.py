from importlib.metadata import version

import spike_vision


def test_all_names_resolve() -> None:
    assert len(set(spike_vision.__all__)) == len(spike_vision.__all__)
    for name in spike_vision.__all__:
        assert getattr(spike_vision, name) is not None, name


def test_version_matches_metadata() -> None:
    assert spike_vision.__version__ == version("spike-vision")
