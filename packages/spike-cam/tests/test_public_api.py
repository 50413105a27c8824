from importlib.metadata import version

import spike_cam


def test_all_names_resolve() -> None:
    assert len(set(spike_cam.__all__)) == len(spike_cam.__all__)
    for name in spike_cam.__all__:
        assert getattr(spike_cam, name) is not None, name


def test_version_matches_metadata() -> None:
    assert spike_cam.__version__ == version("spike-cam")
