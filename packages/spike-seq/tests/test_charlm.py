"""Corpus, tokenizer, batches, BPC, sampling, streaming generation and checkpoints."""

from __future__ import annotations

import pytest
import torch

from spike_core import create_model
from spike_seq import (
    CharTokenizer,
    SpikeGPT,
    SpikeGPTConfig,
    evaluate_bpc,
    generate,
    load_corpus,
    load_spikegpt,
    random_windows,
    sample_token,
    save_spikegpt,
    train_char_lm,
    unigram_entropy,
)
from spike_seq._corpus_gen import generate_corpus


def test_corpus_is_reproducible_small_and_matches_registry() -> None:
    text = load_corpus()
    assert text == generate_corpus()
    assert 100_000 < len(text.encode()) < 400_000
    assert text.isascii()
    tok = CharTokenizer.from_text(text)
    assert (
        create_model("spikegpt-char-tiny", init="torch", n_embd=8).config.vocab_size
        == tok.vocab_size
    )
    assert 4.0 < unigram_entropy(text) < 4.8


def test_tokenizer_round_trip_and_errors() -> None:
    tok = CharTokenizer.from_text("hello world")
    assert tok.chars == " dehlorw"
    ids = tok.encode("low hello")
    assert tok.decode(ids) == "low hello"
    with pytest.raises(ValueError, match="'z'"):
        tok.encode("loz")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.decode([0, 99])
    with pytest.raises(ValueError, match="distinct"):
        CharTokenizer("aa")
    assert unigram_entropy("abab") == 1.0
    with pytest.raises(ValueError, match="empty"):
        unigram_entropy("")


def test_random_windows_are_time_major_and_shifted() -> None:
    data = torch.arange(100)
    x, y = random_windows(data, batch_size=3, ctx_len=8, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (8, 3)
    assert torch.equal(y[:-1], x[1:])
    assert torch.equal(x[1:] - x[:-1], torch.ones(7, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="ctx_len"):
        random_windows(torch.arange(5), batch_size=1, ctx_len=8)


def _tiny(V: int) -> SpikeGPT:
    torch.manual_seed(0)
    return SpikeGPT(
        SpikeGPTConfig(vocab_size=V, n_layer=2, n_embd=16, ctx_len=16, backend="torch", dropout=0.0)
    )


def test_bpc_of_uniform_model_is_log2_v() -> None:
    model = _tiny(8)
    with torch.no_grad():
        model.head.weight.zero_()
    data = torch.randint(0, 8, (200,), generator=torch.Generator().manual_seed(0))
    assert evaluate_bpc(model, data, ctx_len=16) == pytest.approx(3.0, abs=1e-6)


@pytest.mark.slow
def test_training_lowers_loss_on_repetitive_text() -> None:
    tok = CharTokenizer.from_text("abcd")
    data = tok.encode("abcd" * 30)
    model = _tiny(tok.vocab_size)
    res = train_char_lm(model, data, data, steps=20, batch_size=4, ctx_len=8, lr=1e-2)
    assert len(res.losses) == 20
    assert sum(res.losses[-5:]) / 5 < res.losses[0] - 0.5
    assert res.bpc < 1.5  # unigram entropy of this text is 2 bits


def test_sample_token() -> None:
    logits = torch.tensor([0.0, 5.0, 1.0, -3.0])
    assert sample_token(logits, temperature=0) == 1
    g = torch.Generator().manual_seed(0)
    draws = {sample_token(logits, top_p=0.5, generator=g) for _ in range(30)}
    assert draws == {1}
    draws = {sample_token(logits, temperature=5.0, generator=g) for _ in range(200)}
    assert draws == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="top_p"):
        sample_token(logits, top_p=0)


def test_generate_streams_and_matches_parallel_greedy() -> None:
    model = _tiny(10).double().eval()
    prompt = torch.tensor([1, 2, 3])
    stream = generate(model, prompt, 6, temperature=0)
    first = next(stream)  # a generator: tokens arrive one at a time
    rest = list(stream)
    out = [first, *rest]
    assert len(out) == 6
    seq = prompt.tolist()
    for _ in range(6):
        logits = model(torch.tensor(seq).unsqueeze(1))
        seq.append(int(logits[-1, 0].argmax()))
    assert out == seq[3:]
    with pytest.raises(ValueError, match="prompt"):
        list(generate(model, torch.tensor([], dtype=torch.long), 2))
    with pytest.raises(ValueError, match="vocabulary"):
        list(generate(model, torch.tensor([10]), 2))


def test_prompt_longer_than_context_uses_recurrent_form() -> None:
    model = _tiny(10).double().eval()
    prompt = torch.randint(0, 10, (20,), generator=torch.Generator().manual_seed(3))
    out = list(generate(model, prompt, 3, temperature=0))
    assert len(out) == 3


def test_checkpoint_round_trip(tmp_path) -> None:
    tok = CharTokenizer.from_text("hello")
    model = _tiny(tok.vocab_size).eval()
    path = save_spikegpt(tmp_path / "m.safetensors", model, tok)
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]  # no temp file left
    loaded, tok2 = load_spikegpt(path)
    assert tok2 == tok
    assert loaded.config == model.config
    idx = torch.randint(0, tok.vocab_size, (5, 2))
    assert torch.equal(loaded(idx), model(idx))


def test_checkpoint_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        load_spikegpt(tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file at all")
    with pytest.raises(ValueError, match="not a readable"):
        load_spikegpt(bad)
    from safetensors.torch import save_file

    other = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, str(other))
    with pytest.raises(ValueError, match="not a SpikeGPT checkpoint"):
        load_spikegpt(other)
