from importlib.metadata import version

import spike_convert


def test_all_names_resolve() -> None:
    assert len(set(spike_convert.__all__)) == len(spike_convert.__all__)
    for name in spike_convert.__all__:
        assert getattr(spike_convert, name) is not None, name


def test_version_matches_metadata() -> None:
    assert spike_convert.__version__ == version("spike-convert")
