from importlib.metadata import version

import spike_energy


def test_all_names_resolve() -> None:
    assert len(set(spike_energy.__all__)) == len(spike_energy.__all__)
    for name in spike_energy.__all__:
        assert getattr(spike_energy, name) is not None, name


def test_version_matches_metadata() -> None:
    assert spike_energy.__version__ == version("spike-energy")
