"""Embedded, generated data: digits pasted onto textured backgrounds.

Detection images hold several digits with boxes; classification images one digit. Nothing is
downloaded; every sample is a pure function of the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = [
    "DIGIT_GLYPHS",
    "DetectionDataset",
    "make_detection_dataset",
    "make_digit_classification",
    "render_digit",
]

# 5 x 7 bitmaps of the digits 0-9 ("#" = ink), drawn for this project.
DIGIT_GLYPHS: tuple[tuple[str, ...], ...] = (
    (".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."),
    ("..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."),
    (".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"),
    ("####.", "....#", "....#", ".###.", "....#", "....#", "####."),
    ("...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."),
    ("#####", "#....", "####.", "....#", "....#", "#...#", ".###."),
    (".###.", "#....", "#....", "####.", "#...#", "#...#", ".###."),
    ("#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."),
    (".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."),
    (".###.", "#...#", "#...#", ".####", "....#", "....#", ".###."),
)


def render_digit(digit: int, scale: int = 2) -> torch.Tensor:
    """A digit's ink mask, ``[7 * scale, 5 * scale]`` with values in ``{0, 1}``.

    Args:
        digit: 0..9.
        scale: integer up-sampling factor.

    Returns:
        Float mask.

    Raises:
        ValueError: for a digit outside 0..9 or a scale < 1.
    """
    if not 0 <= digit <= 9:
        raise ValueError(f"digit must be in 0..9, got {digit}")
    if scale < 1:
        raise ValueError(f"scale must be >= 1, got {scale}")
    g = torch.tensor([[c == "#" for c in row] for row in DIGIT_GLYPHS[digit]], dtype=torch.float32)
    return g.repeat_interleave(scale, 0).repeat_interleave(scale, 1)


def _texture(size: int, gen: torch.Generator) -> torch.Tensor:
    """A coloured, low-frequency noise background with stripes, ``[3, size, size]`` in [0, 1]."""
    coarse = torch.rand(3, 1, 4, 4, generator=gen)
    smooth = F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)[:, 0]
    freq = float(torch.randint(3, 9, (), generator=gen))
    angle = float(torch.rand((), generator=gen)) * 3.1416
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    phase = (xx * torch.cos(torch.tensor(angle)) + yy * torch.sin(torch.tensor(angle))) / size
    stripes = 0.5 + 0.5 * torch.sin(2 * 3.1416 * freq * phase)
    noise = torch.rand(3, size, size, generator=gen)
    return (0.5 * smooth + 0.2 * stripes + 0.15 * noise).clamp(0, 1)


@dataclass(frozen=True)
class DetectionDataset:
    """Generated detection images with boxes.

    Attributes:
        images: ``[N, 3, S, S]`` in ``[0, 1]`` (batch-major at the data boundary).
        boxes: per image ``[n_i, 4]`` xyxy in pixels.
        labels: per image ``[n_i]`` digit classes.
        num_classes: number of classes.
    """

    images: torch.Tensor
    boxes: list[torch.Tensor]
    labels: list[torch.Tensor]
    num_classes: int

    def __len__(self) -> int:
        """Number of images."""
        return len(self.images)

    def targets(self, index: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """``(boxes, labels)`` of the images at ``index``."""
        return [(self.boxes[int(i)], self.labels[int(i)]) for i in index]


def make_detection_dataset(
    num_images: int,
    *,
    image_size: int = 64,
    max_objects: int = 3,
    num_classes: int = 10,
    scales: tuple[int, ...] = (1, 2),
    seed: int = 0,
) -> DetectionDataset:
    """Digits pasted at random places onto textured backgrounds.

    Each image holds 1..``max_objects`` digits of classes ``0..num_classes-1``, drawn with a
    random ink colour that contrasts with the local background; overlapping placements are
    rejected. Box coordinates are tight around the glyph.

    Args:
        num_images: number of images.
        image_size: side ``S`` in pixels.
        max_objects: most digits per image.
        num_classes: digits used (1..10).
        scales: glyph up-sampling factors to draw from (glyphs are ``7s x 5s`` pixels).
        seed: generator seed.

    Returns:
        A :class:`DetectionDataset`.

    Raises:
        ValueError: for out-of-range arguments.
    """
    if num_images < 1:
        raise ValueError(f"num_images must be >= 1, got {num_images}")
    if not 1 <= num_classes <= 10:
        raise ValueError(f"num_classes must be in 1..10, got {num_classes}")
    if max_objects < 1:
        raise ValueError(f"max_objects must be >= 1, got {max_objects}")
    if image_size < 7 * max(scales) + 2:
        raise ValueError(f"image_size {image_size} is too small for glyph scales {scales}")
    gen = torch.Generator().manual_seed(seed)
    images, all_boxes, all_labels = [], [], []
    for _ in range(num_images):
        img = _texture(image_size, gen)
        n = int(torch.randint(1, max_objects + 1, (), generator=gen))
        boxes: list[list[float]] = []
        labels: list[int] = []
        for _try in range(20 * n):
            if len(labels) == n:
                break
            digit = int(torch.randint(0, num_classes, (), generator=gen))
            s = scales[int(torch.randint(0, len(scales), (), generator=gen))]
            mask = render_digit(digit, s)
            h, w = mask.shape
            y = int(torch.randint(0, image_size - h + 1, (), generator=gen))
            x = int(torch.randint(0, image_size - w + 1, (), generator=gen))
            box = [float(x), float(y), float(x + w), float(y + h)]
            if any(
                box[0] < b[2] + 1 and b[0] < box[2] + 1 and box[1] < b[3] + 1 and b[1] < box[3] + 1
                for b in boxes
            ):
                continue
            patch = img[:, y : y + h, x : x + w]
            ink = (patch.mean((1, 2)) < 0.5).float()  # light ink on dark, dark on light
            ink = (ink * 0.8 + 0.1 + 0.1 * torch.rand(3, generator=gen)).clamp(0, 1)
            img[:, y : y + h, x : x + w] = patch * (1 - mask) + ink[:, None, None] * mask
            boxes.append(box)
            labels.append(digit)
        images.append(img)
        all_boxes.append(torch.tensor(boxes, dtype=torch.float32).view(-1, 4))
        all_labels.append(torch.tensor(labels, dtype=torch.long))
    return DetectionDataset(torch.stack(images), all_boxes, all_labels, num_classes)


def make_digit_classification(
    num_images: int, *, image_size: int = 32, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """One centred-ish digit per textured image, for classification.

    Args:
        num_images: number of images.
        image_size: side in pixels (>= 16).
        seed: generator seed.

    Returns:
        ``(images [N, 3, S, S], labels [N])``.
    """
    ds = make_detection_dataset(
        num_images, image_size=image_size, max_objects=1, scales=(2,), seed=seed
    )
    return ds.images, torch.cat(ds.labels)
