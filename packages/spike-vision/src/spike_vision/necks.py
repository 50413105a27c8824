"""Detection necks: the YOLOv8 PAN (optionally with a P2 level) and BiFPN with P2.

BiFPN fast normalized fusion (EfficientDet)::

    O = sum_i relu(w_i) I_i / (eps + sum_j relu(w_j)),   eps = 1e-4, w_i initialised to 1

Node layout (project reference design for the rice-spikelet YOLOv8s-p2, spec 5.4)::

    P4_td  = C2f(Fuse[P4_in, Up(P5_in)])
    P3_td  = C2f(Fuse[P3_in, Up(P4_td)])
    P2_out = C2f(Fuse[P2_in, Up(P3_td)])
    P3_out = C2f(Fuse[P3_in, P3_td, Down(P2_out)])
    P4_out = C2f(Fuse[P4_in, P4_td, Down(P3_out)])
    P5_out = C2f(Fuse[P5_in, Down(P4_out)])
"""

from __future__ import annotations

import torch
from torch import nn

from spike_vision.yolo_blocks import C2f, Conv

__all__ = ["BiFPN", "FastFusion", "PANNeck"]


class FastFusion(nn.Module):
    """Fast normalized fusion of ``n`` same-shaped inputs.

    Args:
        n: number of inputs.
        eps: denominator guard (1e-4).

    Shapes:
        ``n`` tensors ``[B, C, H, W]`` -> ``[B, C, H, W]``.
    """

    def __init__(self, n: int, *, eps: float = 1e-4) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def normalized_weights(self) -> torch.Tensor:
        """``relu(w) / (eps + sum relu(w))``, shape ``[n]``."""
        w = torch.relu(self.weight)
        return w / (self.eps + w.sum())

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        """Weighted sum of the inputs."""
        w = self.normalized_weights()
        return sum((w[i] * x for i, x in enumerate(inputs)), torch.zeros_like(inputs[0]))


def _repeats(n: int, depth: float) -> int:
    return max(round(n * depth), 1) if n > 1 else n


class PANNeck(nn.Module):
    """YOLOv8 PAN head (``yolov8.yaml`` / ``yolov8-p2.yaml``).

    Args:
        channels: backbone tap channels, finest first: ``(P3, P4, P5)`` or ``(P2, P3, P4, P5)``.
        depth: depth multiple (0.33 for scale s).

    Shapes:
        list of ``[B, C_i, H_i, W_i]`` -> list of maps with the same channels, finest first.
    """

    def __init__(self, *, channels: tuple[int, ...], depth: float = 0.33) -> None:
        super().__init__()
        if len(channels) not in (3, 4):
            raise ValueError(f"channels must list 3 or 4 levels, got {channels}")
        n = _repeats(3, depth)
        ch = list(channels)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        # top-down: for levels L-2 .. 0 fuse up(prev) with tap
        self.td = nn.ModuleList()
        prev = ch[-1]
        for c in reversed(ch[:-1]):
            self.td.append(C2f(prev + c, c, n))
            prev = c
        self.down = nn.ModuleList()
        self.bu = nn.ModuleList()
        for i in range(1, len(ch)):
            self.down.append(Conv(ch[i - 1], ch[i - 1], 3, 2))
            self.bu.append(C2f(ch[i - 1] + ch[i], ch[i], n))

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        """Top-down then bottom-up fusion by concatenation."""
        td = [feats[-1]]
        for j, c2f in enumerate(self.td):
            tap = feats[-2 - j]
            td.append(c2f(torch.cat([self.up(td[-1]), tap], 1)))
        td = td[::-1]  # finest first; td[-1] is the P5 tap (SPPF output)
        outs = [td[0]]
        for i in range(1, len(td)):
            outs.append(self.bu[i - 1](torch.cat([self.down[i - 1](outs[-1]), td[i]], 1)))
        return outs


class BiFPN(nn.Module):
    """BiFPN neck over P2..P5 with fast normalized fusion and C2f nodes.

    Args:
        in_channels: channels of the four inputs ``(P2, P3, P4, P5)``.
        widths: node widths ``(P2, P3, P4, P5)`` (default: ``in_channels``).
        n: bottlenecks per C2f node.

    Shapes:
        four maps ``[B, C_i, H / s_i, W / s_i]`` (strides 4, 8, 16, 32) -> four maps with
        ``widths`` channels, finest first.
    """

    def __init__(
        self,
        *,
        in_channels: tuple[int, int, int, int],
        widths: tuple[int, int, int, int] | None = None,
        n: int = 1,
    ) -> None:
        super().__init__()
        w2, w3, w4, w5 = widths or in_channels
        c2, c3, c4, c5 = in_channels
        self.up = nn.Upsample(scale_factor=2, mode="nearest")

        def align(cin: int, cout: int) -> nn.Module:
            return nn.Identity() if cin == cout else Conv(cin, cout, 1)

        self.in_align = nn.ModuleList([align(c2, w2), align(c3, w3), align(c4, w4), align(c5, w5)])
        self.p5_to_4 = align(w5, w4)
        self.p4_to_3 = align(w4, w3)
        self.p3_to_2 = align(w3, w2)
        self.down2 = Conv(w2, w3, 3, 2)
        self.down3 = Conv(w3, w4, 3, 2)
        self.down4 = Conv(w4, w5, 3, 2)
        self.fuse = nn.ModuleDict(
            {
                "p4_td": FastFusion(2),
                "p3_td": FastFusion(2),
                "p2_out": FastFusion(2),
                "p3_out": FastFusion(3),
                "p4_out": FastFusion(3),
                "p5_out": FastFusion(2),
            }
        )
        self.node = nn.ModuleDict(
            {
                "p4_td": C2f(w4, w4, n),
                "p3_td": C2f(w3, w3, n),
                "p2_out": C2f(w2, w2, n),
                "p3_out": C2f(w3, w3, n),
                "p4_out": C2f(w4, w4, n),
                "p5_out": C2f(w5, w5, n),
            }
        )

    def _node(self, name: str, inputs: list[torch.Tensor]) -> torch.Tensor:
        return self.node[name](self.fuse[name](inputs))

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        """Top-down then bottom-up weighted fusion; returns ``[P2_out, P3_out, P4_out, P5_out]``."""
        if len(feats) != 4:
            raise ValueError(f"BiFPN expects 4 levels (P2..P5), got {len(feats)}")
        p2, p3, p4, p5 = (a(x) for a, x in zip(self.in_align, feats, strict=True))
        p4_td = self._node("p4_td", [p4, self.up(self.p5_to_4(p5))])
        p3_td = self._node("p3_td", [p3, self.up(self.p4_to_3(p4_td))])
        p2_out = self._node("p2_out", [p2, self.up(self.p3_to_2(p3_td))])
        p3_out = self._node("p3_out", [p3, p3_td, self.down2(p2_out)])
        p4_out = self._node("p4_out", [p4, p4_td, self.down3(p3_out)])
        p5_out = self._node("p5_out", [p5, self.down4(p4_out)])
        return [p2_out, p3_out, p4_out, p5_out]
