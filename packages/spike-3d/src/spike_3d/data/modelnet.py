"""ModelNet40 from a local folder: ``.off`` meshes or the ``modelnet40_normal_resampled`` text files.

Nothing is downloaded. Two layouts are recognised:

* ``modelnet40_normal_resampled``: ``modelnet40_shape_names.txt``, ``modelnet40_{train,test}.txt``
  (one shape id like ``airplane_0001`` per line) and ``<class>/<id>.txt`` files with rows
  ``x,y,z,nx,ny,nz``;
* raw ModelNet40: ``<class>/{train,test}/<id>.off`` meshes, sampled uniformly on the surface
  (area-weighted) with face normals (``2 * num_points`` samples reduced by farthest point
  sampling when ``sampling="fps"``).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from spike_3d.data.transforms import farthest_point_sample

__all__ = ["ModelNet40", "read_modelnet_txt", "read_off", "sample_mesh"]


def read_off(path: str | Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Read an ``.off`` mesh (also the ``OFF<nv> <nf> <ne>`` one-line header ModelNet uses).

    Args:
        path: file path.

    Returns:
        ``(vertices [V, 3] float32, faces [F, 3] int64)``; polygons are fan-triangulated.

    Raises:
        ValueError: for a missing header, wrong counts, or bad indices.
    """
    p = Path(path)
    tokens_lines = [ln.split("#")[0].strip() for ln in p.read_text().splitlines()]
    lines = [ln for ln in tokens_lines if ln]
    if not lines or not lines[0].startswith("OFF"):
        raise ValueError(f"{p}: not an OFF file (first line must start with 'OFF')")
    head = lines[0][3:].split()
    body = lines[1:]
    if not head:
        if not body:
            raise ValueError(f"{p}: OFF file has no counts line")
        head, body = body[0].split(), body[1:]
    try:
        nv, nf = int(head[0]), int(head[1])
        verts = [[float(v) for v in body[i].split()[:3]] for i in range(nv)]
        faces: list[list[int]] = []
        for i in range(nv, nv + nf):
            f = [int(v) for v in body[i].split()]
            k, idx = f[0], f[1 : 1 + f[0]]
            if k < 3 or len(idx) != k:
                raise ValueError(f"face line {i + 1} is malformed")
            faces.extend([idx[0], idx[j], idx[j + 1]] for j in range(1, k - 1))
    except (IndexError, ValueError) as exc:
        raise ValueError(f"{p}: corrupt OFF file ({exc})") from exc
    v = torch.tensor(verts, dtype=torch.float32).reshape(-1, 3)
    f_t = torch.tensor(faces, dtype=torch.long).reshape(-1, 3)
    if f_t.numel() and (int(f_t.min()) < 0 or int(f_t.max()) >= nv):
        raise ValueError(f"{p}: face index outside [0, {nv})")
    return v, f_t


def sample_mesh(
    vertices: torch.Tensor,
    faces: torch.Tensor,
    num_points: int,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Sample points uniformly on a triangle mesh's surface, with face normals.

    Args:
        vertices: ``[V, 3]``.
        faces: ``[F, 3]`` triangle indices.
        num_points: points to draw.
        generator: random source.

    Returns:
        ``[num_points, 6]``: ``x, y, z, nx, ny, nz``.

    Raises:
        ValueError: for a mesh without area.
    """
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    cross = torch.linalg.cross(b - a, c - a)
    area = cross.norm(dim=1)
    if faces.shape[0] == 0 or not bool(area.sum() > 0):
        raise ValueError("mesh has no faces with positive area")
    tri = torch.multinomial(area, num_points, replacement=True, generator=generator)
    u, v = torch.rand(2, num_points, 1, generator=generator)
    flip = (u + v) > 1
    u, v = torch.where(flip, 1 - u, u), torch.where(flip, 1 - v, v)
    pts = a[tri] + u * (b[tri] - a[tri]) + v * (c[tri] - a[tri])
    n = cross[tri] / area[tri].clamp(min=1e-12).unsqueeze(1)
    return torch.cat([pts, n], 1)


def read_modelnet_txt(path: str | Path) -> torch.Tensor:
    """Read a ``modelnet40_normal_resampled`` file (rows ``x,y,z,nx,ny,nz``).

    Returns:
        ``[N, 6]`` float32.

    Raises:
        ValueError: for an empty, ragged, non-numeric or non-finite file.
    """
    p = Path(path)
    rows = [ln.replace(",", " ").split() for ln in p.read_text().splitlines() if ln.strip()]
    if not rows:
        raise ValueError(f"{p}: empty point file")
    try:
        t = torch.tensor([[float(v) for v in r] for r in rows], dtype=torch.float32)
    except ValueError as exc:
        raise ValueError(f"{p}: corrupt point file ({exc})") from exc
    if t.shape[1] < 3 or not bool(torch.isfinite(t).all()):
        raise ValueError(f"{p}: need >= 3 finite columns per row, got shape {tuple(t.shape)}")
    return t


class ModelNet40(Dataset):
    """ModelNet40 read from a local folder (see the module docstring for the layouts).

    Args:
        root: dataset folder.
        split: ``"train"`` or ``"test"``.
        num_points: points per shape (E-3DSNN: 8192 of the 10 000 resampled points).
        sampling: ``"fps"`` (farthest point sampling from index 0), ``"random"`` or ``"first"``.
        use_normals: keep ``nx, ny, nz`` (6 channels) or only ``x, y, z``.
        seed: seed for mesh sampling and random subsampling (per item, reproducible).

    Shapes:
        item: ``(points [num_points, 6 or 3], label)``.

    Raises:
        FileNotFoundError: when ``root`` holds neither layout.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        split: str = "train",
        num_points: int = 1024,
        sampling: str = "fps",
        use_normals: bool = True,
        seed: int = 0,
    ) -> None:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if sampling not in ("fps", "random", "first"):
            raise ValueError(f"sampling must be 'fps', 'random' or 'first', got {sampling!r}")
        if not isinstance(num_points, int) or num_points < 1:
            raise ValueError(f"num_points must be a positive int, got {num_points!r}")
        self.root = Path(root)
        self.num_points, self.sampling, self.use_normals, self.seed = (
            num_points,
            sampling,
            use_normals,
            seed,
        )
        names = self.root / "modelnet40_shape_names.txt"
        if names.is_file():
            self.classes = [c.strip() for c in names.read_text().splitlines() if c.strip()]
            ids = (self.root / f"modelnet40_{split}.txt").read_text().split()
            self.items = [
                (
                    self.root / sid.rsplit("_", 1)[0] / f"{sid}.txt",
                    self.classes.index(sid.rsplit("_", 1)[0]),
                )
                for sid in ids
            ]
        else:
            dirs = (
                sorted(d for d in self.root.iterdir() if (d / split).is_dir())
                if self.root.is_dir()
                else []
            )
            if not dirs:
                raise FileNotFoundError(
                    f"{self.root}: no ModelNet40 layout found (modelnet40_shape_names.txt or <class>/{split}/*.off)"
                )
            self.classes = [d.name for d in dirs]
            self.items = [
                (f, i) for i, d in enumerate(dirs) for f in sorted((d / split).glob("*.off"))
            ]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.items[index]
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + index)
        if path.suffix == ".off":
            v, f = read_off(path)
            pts = sample_mesh(
                v,
                f,
                max(self.num_points, 2 * self.num_points if self.sampling == "fps" else 0),
                generator=g,
            )
        else:
            pts = read_modelnet_txt(path)
        if pts.shape[0] > self.num_points:
            if self.sampling == "fps":
                pts = pts[farthest_point_sample(pts, self.num_points)]
            elif self.sampling == "random":
                pts = pts[torch.randperm(pts.shape[0], generator=g)[: self.num_points]]
            else:
                pts = pts[: self.num_points]
        if pts.shape[1] < 6 and self.use_normals:
            pts = torch.cat([pts[:, :3], pts.new_zeros(pts.shape[0], 3)], 1)
        return (pts[:, :6] if self.use_normals else pts[:, :3]), label
