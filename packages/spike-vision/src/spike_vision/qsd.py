"""QSD-Transformer (Qiu et al., ICLR 2025): a quantized Meta-SpikeFormer built with spike-quant.

The Meta-SpikeFormer topology is kept; every convolution and the classifier get 4-bit
per-channel LSQ weights, every binary LIF becomes the stateless multi-bit IE-LIF (``D = 4``),
and the transformer blocks become spike-quant's :class:`~spike_quant.QSDTransformerBlock`
(Q-SDSA with scale 0.25 and ``IE_att`` output, layer scales initialised to 1e-6)::

    U' = U + g1 * QSDSA(U);   U'' = U' + g2 * QChannelMLP(U')

Stage depths are ``int(0.75 depth)`` and ``int(0.25 depth)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from spike_quant import QSDTransformerBlock, quantize
from spike_vision.meta_spikeformer import MetaSpikeFormer, MetaSpikeFormerConfig

__all__ = ["QSDTransformer", "QSDTransformerConfig"]


@dataclass(frozen=True, kw_only=True)
class QSDTransformerConfig:
    """Configuration of :class:`QSDTransformer`.

    Attributes:
        embed_dims: stage widths ``(C0, C1, C2, C3)``.
        depth: total transformer blocks (8 or 12), split 3:1 over stages 3 and 4.
        num_heads: attention heads.
        num_classes: classifier outputs (>= 1).
        in_channels: input channels.
        img_size: side of the example input.
        time_steps: direct-encoding steps for 4-D input (1 in the reference).
        w_bits: LSQ weight bits (4).
        levels: IE-LIF levels ``D`` (4).
        layer_scale_init: initial layer-scale value (1e-6).
        act_params: instantiate the reference's unused activation-quantizer parameters (two per
            input channel per quantized layer; counts then match the reference code).
    """

    embed_dims: tuple[int, int, int, int] = (64, 128, 256, 360)
    depth: int = 8
    num_heads: int = 8
    num_classes: int = 1000
    in_channels: int = 3
    img_size: int = 224
    time_steps: int = 1
    w_bits: int = 4
    levels: int = 4
    layer_scale_init: float = 1e-6
    act_params: bool = True


class QSDTransformer(MetaSpikeFormer):
    """QSD-Transformer classifier.

    Args:
        config: a :class:`QSDTransformerConfig`.

    Shapes:
        input ``[T, B, C, H, W]`` or ``[B, C, H, W]`` (multiples of 16); output per-step logits
        ``[T, B, K]``. Neurons are stateless, so in eval mode every step gives the same logits
        for a repeated image.
    """

    def __init__(self, config: QSDTransformerConfig) -> None:
        c = config
        if c.depth < 4:
            raise ValueError(f"depth must be >= 4, got {c.depth}")
        depths = (int(0.75 * c.depth), int(0.25 * c.depth))
        super().__init__(
            MetaSpikeFormerConfig(
                embed_dims=c.embed_dims,
                depths=depths,
                num_heads=c.num_heads,
                num_classes=c.num_classes,
                in_channels=c.in_channels,
                img_size=c.img_size,
                time_steps=c.time_steps,
                attn_scale=0.25,
                backend="torch",
            )
        )
        self.qsd_config = c
        blk = {
            "num_heads": c.num_heads,
            "w_bits": c.w_bits,
            "levels": c.levels,
            "layer_scale_init": c.layer_scale_init,
            "act_params": c.act_params,
        }
        self.block3 = nn.Sequential(
            *(QSDTransformerBlock(dim=c.embed_dims[2], **blk) for _ in range(depths[0]))  # type: ignore[arg-type]
        )
        self.block4 = nn.Sequential(
            *(QSDTransformerBlock(dim=c.embed_dims[3], **blk) for _ in range(depths[1]))  # type: ignore[arg-type]
        )
        quantize(self, bits=c.w_bits, act_params=c.act_params, neurons="ie_lif", levels=c.levels)

    def reset_classifier(self, num_outputs: int) -> None:
        """Replace the head with a fresh quantized linear layer."""
        super().reset_classifier(num_outputs)
        c = self.qsd_config
        self.head = quantize(self.head, bits=c.w_bits, act_params=c.act_params)
