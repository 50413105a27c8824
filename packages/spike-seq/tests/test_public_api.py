from importlib.metadata import version

import spike_seq


def test_all_names_resolve() -> None:
    assert len(set(spike_seq.__all__)) == len(spike_seq.__all__)
    for name in spike_seq.__all__:
        assert getattr(spike_seq, name) is not None, name


def test_version_matches_metadata() -> None:
    assert spike_seq.__version__ == version("spike-seq")
