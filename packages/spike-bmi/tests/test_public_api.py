from importlib.metadata import version

import spike_bmi


def test_all_names_resolve() -> None:
    assert len(set(spike_bmi.__all__)) == len(spike_bmi.__all__)
    for name in spike_bmi.__all__:
        assert getattr(spike_bmi, name) is not None, name


def test_version_matches_metadata() -> None:
    assert spike_bmi.__version__ == version("spike-bmi")
