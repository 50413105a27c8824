import numpy as np
import pytest

from spike_cam import make_events, write_events
from spike_cli.main import main


def test_help_exits_zero() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["events", "--help"])
    assert exc.value.code == 0


def test_events_inspect_and_render(tmp_path, capsys) -> None:
    rng = np.random.default_rng(0)
    t = np.sort(rng.integers(0, 1_000_000, 500))
    ev = make_events(t, rng.integers(0, 32, 500), rng.integers(0, 24, 500), rng.integers(0, 2, 500))
    path = write_events(tmp_path / "e.npz", ev)
    rc = main(
        [
            "events",
            str(path),
            "--sensor",
            "32,24",
            "--bins",
            "4",
            "--png",
            str(tmp_path / "f.png"),
            "--gif",
            str(tmp_path / "f.gif"),
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "events:     500" in out
    assert "resolution: 32 x 24" in out
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "f.gif").read_bytes()[:3] == b"GIF"


def test_events_bad_file(tmp_path, capsys) -> None:
    (tmp_path / "bad.csv").write_text("0,1,1,1\n5,a,2,0\n")
    assert main(["events", str(tmp_path / "bad.csv")]) == 2
    assert "line 2 is not numeric" in capsys.readouterr().err
    assert main(["events", str(tmp_path / "missing.npz")]) == 2
