"""Train a 2-layer SpikeGPT on the embedded corpus and report bits per character.

Usage: ``uv run python packages/spike-seq/benchmarks/train_charlm.py [--steps 300] [--width 128]``
"""

from __future__ import annotations

import argparse
import time

import torch

from spike_seq import (
    CharTokenizer,
    SpikeGPT,
    SpikeGPTConfig,
    generate,
    load_corpus,
    train_char_lm,
    unigram_entropy,
)


def main() -> None:
    """Train, evaluate on the held-out last 10 % of the corpus, print a sample."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--ctx-len", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=12)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    text = load_corpus()
    tok = CharTokenizer.from_text(text)
    ids = tok.encode(text)
    split = int(0.9 * len(ids))
    cfg = SpikeGPTConfig(vocab_size=tok.vocab_size, n_layer=2, n_embd=a.width, ctx_len=256)
    model = SpikeGPT(cfg)
    t0 = time.perf_counter()
    res = train_char_lm(
        model,
        ids[:split],
        ids[split:],
        steps=a.steps,
        batch_size=a.batch_size,
        ctx_len=a.ctx_len,
        lr=a.lr,
        progress=lambda s, loss: print(f"step {s:4d} loss {loss:.3f}") if s % 50 == 0 else None,
    )
    elapsed = time.perf_counter() - t0
    print(
        f"corpus {len(text):,} chars, vocabulary {tok.vocab_size}, params {model.num_parameters():,}"
    )
    print(f"unigram entropy      {unigram_entropy(text):.3f} bits/char")
    print(f"validation BPC       {res.bpc:.3f} bits/char after {a.steps} steps ({elapsed:.0f} s)")
    g = torch.Generator().manual_seed(0)
    prompt = "Ada had a"
    out = generate(model, tok.encode(prompt), 160, temperature=0.8, top_p=0.9, generator=g)
    print("sample:", prompt + tok.decode(list(out)))


if __name__ == "__main__":
    main()
