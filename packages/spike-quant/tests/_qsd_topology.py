"""A compact Meta-SpikeFormer / QSD-Transformer topology for parameter-count checks.

spike-quant never imports spike-vision, so the four-stage layout of spike-vision.md §4.1 is
rebuilt here from torch layers, spike-core LIF neurons and spike-quant's public QSD blocks.
"""

from __future__ import annotations

import torch
from torch import nn

from spike_core import LIF, SeqToBatch
from spike_quant import IELIF, QSDTransformerBlock, quantize


def _lif(qsd: bool) -> nn.Module:
    return IELIF() if qsd else LIF(tau_mem=2.0)


def _conv_block(c: int, qsd: bool) -> nn.Module:
    class ConvBlock(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.sep = nn.Sequential(
                _lif(qsd),
                SeqToBatch(
                    nn.Sequential(nn.Conv2d(c, 2 * c, 1, bias=False), nn.BatchNorm2d(2 * c))
                ),
                _lif(qsd),
                SeqToBatch(
                    nn.Sequential(
                        nn.Conv2d(2 * c, 2 * c, 7, padding=3, groups=2 * c, bias=False),
                        nn.Conv2d(2 * c, c, 1, bias=False),
                        nn.BatchNorm2d(c),
                    )
                ),
            )
            self.ch = nn.Sequential(
                _lif(qsd),
                SeqToBatch(
                    nn.Sequential(
                        nn.Conv2d(c, 4 * c, 3, padding=1, bias=False), nn.BatchNorm2d(4 * c)
                    )
                ),
                _lif(qsd),
                SeqToBatch(
                    nn.Sequential(nn.Conv2d(4 * c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
                ),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = x + self.sep(x)
            return x + self.ch(x)

    return ConvBlock()


def _down(cin: int, cout: int, k: int, s: int, p: int, qsd: bool, first: bool = False) -> nn.Module:
    conv = SeqToBatch(nn.Sequential(nn.Conv2d(cin, cout, k, s, p), nn.BatchNorm2d(cout)))
    return conv if first else nn.Sequential(_lif(qsd), conv)


class Backbone(nn.Module):
    def __init__(
        self, widths: list[int], depth: int = 8, classes: int = 1000, qsd: bool = True
    ) -> None:
        super().__init__()
        c0, c1, c2, c3 = widths
        d3, d4 = int(0.75 * depth), int(0.25 * depth)
        self.stem = nn.Sequential(
            _down(3, c0 // 2, 7, 2, 3, qsd, first=True),
            _conv_block(c0 // 2, qsd),
            _down(c0 // 2, c0, 3, 2, 1, qsd),
            _conv_block(c0, qsd),
            _down(c0, c1, 3, 2, 1, qsd),
            _conv_block(c1, qsd),
            _conv_block(c1, qsd),
            _down(c1, c2, 3, 2, 1, qsd),
        )
        self.stage3 = nn.Sequential(
            *(QSDTransformerBlock(dim=c2, act_params=qsd) for _ in range(d3))
        )
        self.down4 = _down(c2, c3, 3, 1, 1, qsd)
        self.stage4 = nn.Sequential(
            *(QSDTransformerBlock(dim=c3, act_params=qsd) for _ in range(d4))
        )
        self.head_lif = _lif(qsd)
        self.head = nn.Linear(c3, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stage4(self.down4(self.stage3(self.stem(x))))
        return self.head(self.head_lif(x.flatten(3).mean(3)))


def build_qsd(widths: list[int], depth: int = 8, classes: int = 1000) -> nn.Module:
    """QSD-Transformer: float layers built, then quantized with QSD's dead activation params."""
    model = Backbone(widths, depth, classes, qsd=True)
    return quantize(model, bits=4, act_params=True)
