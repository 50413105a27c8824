"""Generator of the embedded character corpus (a small probabilistic grammar of short stories).

The shipped file ``data/tiny_stories.txt`` is exactly ``generate_corpus()``; a test checks it.
The text is original, machine-generated and dedicated to the public domain (CC0).
"""

from __future__ import annotations

import random

__all__ = ["generate_corpus"]

_NAMES = ["Ada", "Ben", "Cora", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jill", "Kit", "Lena"]
_ANIMALS = ["cat", "dog", "fox", "owl", "hen", "goat", "frog", "bear", "duck", "mouse"]
_THINGS = [
    "ball",
    "kite",
    "boat",
    "drum",
    "book",
    "lamp",
    "cake",
    "hat",
    "box",
    "key",
    "map",
    "cup",
]
_ADJ = ["red", "small", "big", "old", "new", "green", "soft", "shiny", "blue", "funny", "quiet"]
_PLACES = [
    "the park",
    "the river",
    "the garden",
    "the hill",
    "the school",
    "the market",
    "the forest",
    "the beach",
    "the barn",
    "the library",
]
_TIMES = [
    "One morning",
    "One day",
    "Later",
    "At noon",
    "In the evening",
    "After lunch",
    "The next day",
    "That night",
    "Soon",
]
_FEEL = ["happy", "sad", "tired", "brave", "hungry", "glad", "sleepy", "curious"]
_VERBS_T = ["found", "lost", "saw", "took", "gave away", "painted", "fixed", "hid", "wanted"]
_VERBS_I = ["ran", "sang", "jumped", "laughed", "waited", "danced", "slept", "walked home"]
_SAY = ["said", "asked", "called", "whispered", "shouted"]
_LINES = [
    "Look at this!",
    "Can we play?",
    "I am here.",
    "Where is it?",
    "Let us go home.",
    "Thank you!",
    "That is mine.",
    "Come with me.",
    "It is so pretty.",
    "I can help.",
]


def _np(r: random.Random) -> str:
    kind = r.random()
    if kind < 0.4:
        return f"the {r.choice(_ADJ)} {r.choice(_THINGS)}"
    if kind < 0.7:
        return f"a {r.choice(_THINGS)}"
    return f"the {r.choice(_ANIMALS)}"


def _sentence(r: random.Random, who: str, friend: str) -> str:
    k = r.randrange(8)
    if k == 0:
        return f"{r.choice(_TIMES)}, {who} went to {r.choice(_PLACES)}."
    if k == 1:
        return f"{who} {r.choice(_VERBS_T)} {_np(r)} near {r.choice(_PLACES)}."
    if k == 2:
        return f'"{r.choice(_LINES)}" {r.choice(_SAY)} {who}.'
    if k == 3:
        return f"{who} and {friend} {r.choice(_VERBS_I)}."
    if k == 4:
        return f"{who} felt {r.choice(_FEEL)} because {friend} {r.choice(_VERBS_T)} {_np(r)}."
    if k == 5:
        return f"The {r.choice(_ANIMALS)} {r.choice(_VERBS_I)} with {who}."
    if k == 6:
        return f"{friend} gave {who} {_np(r)}, and {who} said thank you."
    return f"Then {who} {r.choice(_VERBS_I)} to {r.choice(_PLACES)}."


def generate_corpus(*, seed: int = 2024, num_stories: int = 1200) -> str:
    """Return the corpus text: ``num_stories`` short stories separated by blank lines.

    Args:
        seed: seed of Python's Mersenne Twister ``random.Random``.
        num_stories: number of stories.

    Returns:
        The text (ASCII, about 220 characters per story).
    """
    r = random.Random(seed)
    stories = []
    for _ in range(num_stories):
        who, friend = r.sample(_NAMES, 2)
        pet = r.choice(_ANIMALS)
        lines = [f"{who} had a {r.choice(_ADJ)} {pet}."]
        for _ in range(r.randrange(2, 5)):
            a, b = (who, friend) if r.random() < 0.6 else (friend, who)
            lines.append(_sentence(r, a, b))
        lines.append(f"At the end of the day, {who} was {r.choice(_FEEL)}.")
        stories.append(" ".join(lines))
    return "\n\n".join(stories) + "\n"
