"""An embedded synthetic shape data set: solids sampled on their surface, with normals.

Every item is generated from its index and the seed (no files): a solid of one of the classes,
random proportions, surface points with outward normals, Gaussian jitter and a random rotation
(about the up axis by default, as ModelNet40 shapes are upright; full 3D on request).
"""

from __future__ import annotations

import math

import torch
from torch.utils.data import Dataset

from spike_3d.data.transforms import random_rotate

__all__ = ["SHAPE_CLASSES", "SyntheticShapes", "sample_shape"]

SHAPE_CLASSES = ("sphere", "cube", "cylinder", "cone", "torus", "pyramid")


def _unit(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm(dim=1, keepdim=True).clamp(min=1e-9)


def _sphere(n: int, g: torch.Generator) -> torch.Tensor:
    p = _unit(torch.randn(n, 3, generator=g))
    return torch.cat([p, p], 1)


def _cube(n: int, g: torch.Generator) -> torch.Tensor:
    p = torch.rand(n, 3, generator=g) * 2 - 1
    axis = torch.randint(0, 3, (n,), generator=g)
    sign = torch.randint(0, 2, (n,), generator=g).float() * 2 - 1
    rows = torch.arange(n)
    p[rows, axis] = sign
    nrm = torch.zeros(n, 3)
    nrm[rows, axis] = sign
    return torch.cat([p, nrm], 1)


def _cylinder(n: int, g: torch.Generator) -> torch.Tensor:
    # lateral area 2*pi*r*h = 4 pi (r=1, h=2) vs two caps 2*pi: pick by area
    t = torch.rand(n, generator=g) * 2 * math.pi
    side = torch.rand(n, generator=g) < 2 / 3
    z = torch.rand(n, generator=g) * 2 - 1
    r = torch.sqrt(torch.rand(n, generator=g))
    cap = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    x = torch.where(side, torch.cos(t), r * torch.cos(t))
    y = torch.where(side, torch.sin(t), r * torch.sin(t))
    zz = torch.where(side, z, cap)
    nrm = torch.stack(
        [
            torch.where(side, torch.cos(t), 0.0),
            torch.where(side, torch.sin(t), 0.0),
            torch.where(side, 0.0, cap),
        ],
        1,
    )
    return torch.cat([torch.stack([x, y, zz], 1), nrm], 1)


def _cone(n: int, g: torch.Generator) -> torch.Tensor:
    # apex at z=1, base radius 1 at z=-1; slant area pi*sqrt(5) vs base pi
    t = torch.rand(n, generator=g) * 2 * math.pi
    side = torch.rand(n, generator=g) < math.sqrt(5) / (1 + math.sqrt(5))
    s = torch.sqrt(torch.rand(n, generator=g))  # fraction of the way from apex to base
    r = torch.where(side, s, torch.sqrt(torch.rand(n, generator=g)))
    z = torch.where(side, 1 - 2 * s, -1.0)
    p = torch.stack([r * torch.cos(t), r * torch.sin(t), z], 1)
    side_n = _unit(torch.stack([2 * torch.cos(t), 2 * torch.sin(t), torch.ones(n)], 1))
    base_n = torch.tensor([0.0, 0.0, -1.0]).expand(n, 3)
    return torch.cat([p, torch.where(side.unsqueeze(1), side_n, base_n)], 1)


def _torus(n: int, g: torch.Generator) -> torch.Tensor:
    R, r = 0.7, 0.3
    u = torch.rand(n, generator=g) * 2 * math.pi
    # rejection-free area weighting: density of v is proportional to R + r cos v
    v = torch.rand(4 * n, generator=g) * 2 * math.pi
    keep = torch.rand(4 * n, generator=g) * (R + r) < R + r * torch.cos(v)
    v = v[keep][:n]
    if v.numel() < n:
        v = torch.cat([v, torch.rand(n - v.numel(), generator=g) * 2 * math.pi])
    nrm = torch.stack([torch.cos(v) * torch.cos(u), torch.cos(v) * torch.sin(u), torch.sin(v)], 1)
    centre = torch.stack([R * torch.cos(u), R * torch.sin(u), torch.zeros(n)], 1)
    return torch.cat([centre + r * nrm, nrm], 1)


def _pyramid(n: int, g: torch.Generator) -> torch.Tensor:
    # square base [-1,1]^2 at z=-1, apex (0,0,1); four triangular sides + base
    apex = torch.tensor([0.0, 0.0, 1.0])
    corners = torch.tensor(
        [[1.0, 1.0, -1.0], [-1.0, 1.0, -1.0], [-1.0, -1.0, -1.0], [1.0, -1.0, -1.0]]
    )
    side_area = 0.5 * 2 * math.sqrt(5)
    face = torch.multinomial(
        torch.tensor([side_area] * 4 + [4.0]), n, replacement=True, generator=g
    )
    u, v = torch.rand(2, n, 1, generator=g)
    flip = (u + v) > 1
    u, v = torch.where(flip, 1 - u, u), torch.where(flip, 1 - v, v)
    a = torch.where((face < 4).unsqueeze(1), apex.expand(n, 3), corners[0].expand(n, 3))
    b = torch.where((face < 4).unsqueeze(1), corners[face.clamp(max=3)], corners[1].expand(n, 3))
    c = torch.where(
        (face < 4).unsqueeze(1), corners[(face + 1).clamp(max=4) % 4], corners[2].expand(n, 3)
    )
    base2 = (face == 4) & (torch.rand(n, generator=g) < 0.5)
    b = torch.where(base2.unsqueeze(1), corners[3].expand(n, 3), b)
    c = torch.where(base2.unsqueeze(1), corners[2].expand(n, 3), c)
    p = a + u * (b - a) + v * (c - a)
    nrm = _unit(torch.linalg.cross(b - a, c - a))
    nrm = torch.where(((nrm * p).sum(1, keepdim=True) < 0), -nrm, nrm)
    return torch.cat([p, nrm], 1)


_GENERATORS = {
    "sphere": _sphere,
    "cube": _cube,
    "cylinder": _cylinder,
    "cone": _cone,
    "torus": _torus,
    "pyramid": _pyramid,
}


def sample_shape(
    name: str,
    num_points: int,
    *,
    noise: float = 0.01,
    rotation: str = "z",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Surface points of one solid, randomly stretched, jittered and rotated.

    Args:
        name: one of :data:`SHAPE_CLASSES`.
        num_points: ``N``.
        noise: standard deviation of the Gaussian jitter on ``x, y, z``.
        rotation: ``"z"``: a random angle about the up axis (upright shapes, like ModelNet40);
            ``"full"``: a uniformly random 3D rotation; ``"none"``.
        generator: random source.

    Returns:
        ``[N, 6]``: ``x, y, z, nx, ny, nz`` (unit normals).

    Raises:
        ValueError: for an unknown shape, rotation or a non-positive ``num_points``.
    """
    if rotation not in ("z", "full", "none"):
        raise ValueError(f"rotation must be 'z', 'full' or 'none', got {rotation!r}")
    if name not in _GENERATORS:
        raise ValueError(f"unknown shape {name!r}; expected one of {SHAPE_CLASSES}")
    if not isinstance(num_points, int) or num_points < 1:
        raise ValueError(f"num_points must be a positive int, got {num_points!r}")
    g = generator or torch.Generator().manual_seed(0)
    pts = _GENERATORS[name](num_points, g)
    stretch = 0.75 + 0.5 * torch.rand(3, generator=g)
    xyz = pts[:, :3] * stretch
    nrm = _unit(pts[:, 3:] / stretch)
    xyz = xyz + noise * torch.randn(num_points, 3, generator=g)
    pts = torch.cat([xyz, nrm], 1)
    if rotation == "none":
        return pts
    return random_rotate(pts, axis="z" if rotation == "z" else None, generator=g)


class SyntheticShapes(Dataset):
    """Generated solids for out-of-the-box training (no files, deterministic per index).

    Args:
        num_samples: data set length; labels cycle through the classes.
        num_points: points per shape.
        classes: shape names (default: all of :data:`SHAPE_CLASSES`).
        noise: jitter standard deviation.
        rotation: ``"z"`` (random angle about the up axis), ``"full"`` (random 3D rotation) or
            ``"none"``.
        seed: data set seed (use different seeds for train and test splits).

    Shapes:
        item: ``(points [num_points, 6], label)``.
    """

    def __init__(
        self,
        num_samples: int = 600,
        *,
        num_points: int = 512,
        classes: tuple[str, ...] = SHAPE_CLASSES,
        noise: float = 0.01,
        rotation: str = "z",
        seed: int = 0,
    ) -> None:
        if rotation not in ("z", "full", "none"):
            raise ValueError(f"rotation must be 'z', 'full' or 'none', got {rotation!r}")
        if not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError(f"num_samples must be a positive int, got {num_samples!r}")
        unknown = [c for c in classes if c not in _GENERATORS]
        if unknown or not classes:
            raise ValueError(
                f"classes must be a non-empty subset of {SHAPE_CLASSES}, got {classes!r}"
            )
        self.num_samples, self.num_points, self.classes = num_samples, num_points, tuple(classes)
        self.noise, self.rotation, self.seed = noise, rotation, seed

    def __len__(self) -> int:
        return self.num_samples

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        if not 0 <= index < self.num_samples:
            raise IndexError(f"index {index} out of range for {self.num_samples} samples")
        label = index % len(self.classes)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + index)
        return sample_shape(
            self.classes[label], self.num_points, noise=self.noise, generator=g
        ), label
