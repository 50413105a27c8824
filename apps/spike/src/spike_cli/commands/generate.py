"""``spike generate``: stream text from a character SpikeGPT, one token at a time.

The model either comes from a local safetensors checkpoint written by
:func:`spike_seq.save_spikegpt`, or is trained on the spot on spike-seq's embedded corpus
(a few CPU minutes with the defaults). Generation uses the recurrent form, so every token costs
the same regardless of its position.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spike_seq import CharTokenizer, SpikeGPT

NAME = "generate"
HELP = "Stream text token by token from a character SpikeGPT (checkpoint or quick training)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: model source, prompt, sampling and quick-training settings."""
    parser.add_argument("--checkpoint", help="safetensors checkpoint from spike_seq.save_spikegpt")
    parser.add_argument("--prompt", default="Ada had a", help="text to continue")
    parser.add_argument("--tokens", type=int, default=200, help="characters to generate")
    parser.add_argument("--temperature", type=float, default=0.8, help="0 means greedy")
    parser.add_argument("--top-p", type=float, default=0.9, help="nucleus mass in (0, 1]")
    parser.add_argument("--seed", type=int, default=0, help="seed for training and sampling")
    group = parser.add_argument_group("quick training (without --checkpoint)")
    group.add_argument("--train-steps", type=int, default=300, help="optimisation steps")
    group.add_argument("--width", type=int, default=128, help="model width C (2 layers)")
    group.add_argument("--ctx-len", type=int, default=64, help="training window length")
    group.add_argument("--batch-size", type=int, default=12, help="windows per step")
    group.add_argument("--lr", type=float, default=2e-3, help="initial learning rate")
    group.add_argument("--save", help="write the trained model to this safetensors file")


def _train(args: argparse.Namespace) -> tuple[SpikeGPT, CharTokenizer]:
    import torch

    from spike_core import create_model
    from spike_seq import CharTokenizer, SpikeGPT, load_corpus, train_char_lm, unigram_entropy

    for name in ("train_steps", "width", "ctx_len", "batch_size"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    text = load_corpus()
    tok = CharTokenizer.from_text(text)
    tok.encode(args.prompt)  # fail on an unknown character before training
    ids = tok.encode(text)
    split = int(0.95 * len(ids))
    torch.manual_seed(args.seed)
    model = create_model(
        "spikegpt-char-tiny",
        vocab_size=tok.vocab_size,
        n_embd=args.width,
        ctx_len=max(args.ctx_len, 16),
    )
    assert isinstance(model, SpikeGPT)
    print(
        f"training a 2-layer SpikeGPT (C={args.width}) on the embedded corpus "
        f"for {args.train_steps} steps...",
        file=sys.stderr,
    )
    t0 = time.perf_counter()
    every = max(1, args.train_steps // 10)

    def progress(step: int, loss: float) -> None:
        if step % every == 0 or step == args.train_steps - 1:
            print(f"  step {step + 1:>5}  loss {loss:.3f} nats", file=sys.stderr)

    res = train_char_lm(
        model,
        ids[:split],
        ids[split:],
        steps=args.train_steps,
        batch_size=args.batch_size,
        ctx_len=args.ctx_len,
        lr=args.lr,
        seed=args.seed,
        progress=progress,
    )
    print(
        f"validation {res.bpc:.3f} bits/char (unigram entropy {unigram_entropy(text):.3f}), "
        f"{time.perf_counter() - t0:.0f} s",
        file=sys.stderr,
    )
    if args.save:
        from spike_seq import save_spikegpt

        save_spikegpt(args.save, model, tok)
        print(f"saved {args.save}", file=sys.stderr)
    return model, tok


def run(args: argparse.Namespace) -> int:
    """Load or train the model, then print the prompt and stream the continuation."""
    import torch

    from spike_cli.main import CommandError
    from spike_seq import generate, load_spikegpt

    if args.tokens < 0:
        raise ValueError(f"--tokens must be >= 0, got {args.tokens}")
    if not args.prompt:
        raise ValueError("--prompt must not be empty")
    if args.temperature < 0 or not 0 < args.top_p <= 1:
        raise ValueError(
            f"need --temperature >= 0 and 0 < --top-p <= 1, got {args.temperature}, {args.top_p}"
        )
    if args.checkpoint:
        model, tok = load_spikegpt(args.checkpoint)
        if tok is None:
            raise CommandError(f"checkpoint {args.checkpoint!r} carries no character vocabulary")
    else:
        model, tok = _train(args)
    prompt = tok.encode(args.prompt)
    g = torch.Generator().manual_seed(args.seed)
    out = sys.stdout
    out.write(args.prompt)
    out.flush()
    for token in generate(
        model, prompt, args.tokens, temperature=args.temperature, top_p=args.top_p, generator=g
    ):
        out.write(tok.decode([token]))
        out.flush()
    out.write("\n")
    return 0
