"""Transfer text: altered copies of the training texts that only the teacher labels.

A student cut from the teacher imitates it well on the texts it was shown (argmax agreement 97.1%
on its training texts) and less well elsewhere (about 90% on the calibration set and on fresh
hand-written hard sentences; model card, round 14). More texts carrying the teacher's
probabilities close that gap, and the cheapest source of texts shaped like ours is the training
texts themselves, altered the way real input differs from clean reviews:

- ``span``: a run of whole clauses (a long review cut to one of its parts);
- ``delete``: about one character in eight dropped (typing slips, ASR gaps);
- ``strip``: punctuation removed or turned into spaces (chat and ASR style);
- ``concat``: joined to another training text (a turn that says two things).

A variant's meaning may differ from its source's (a clause cut from a contrast can flip it), so it
never carries the source's gold label: the teacher labels it, and the student learns its
probabilities only. Measured 2026-11-30 with one variant per text (card, round 15): blind sets
135 → 139 and 126 → 129 of 160, real chats' dev customer macro-F1 0.686 → 0.721, reviews unchanged.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Sequence

# A clause ends after these (kept with the clause).
_CLAUSE_END = re.compile(r"(?<=[。！？!?；;，,~～ ])")
_PUNCTUATION = re.compile(r"[。！？!?；;，,、~～ ]+")
DELETE_RATE = 0.12
MIN_LENGTH = 2


def transfer_variants(texts: Sequence[str], known: Iterable[str], per_text: int = 1) -> list[str]:
    """Up to ``per_text`` altered copies of each distinct text in ``texts`` (module docstring).

    Deterministic: each text's alterations are drawn from a generator seeded by its own MD5, so
    the same texts give the same variants on any machine and in any order. Variants shorter than
    two characters, already in ``known`` (texts trained, calibrated or tested on) or made twice are
    dropped, so a variant never leaks into a calibration or test set. Returns them in the order of
    the sorted distinct texts."""
    pool = sorted(set(texts))
    seen = set(known)
    out = []
    for text in pool:
        rng = random.Random(hashlib.md5(text.encode()).hexdigest())
        for _ in range(per_text):
            variant = _alter(text, rng, pool)
            if len(variant) >= MIN_LENGTH and variant not in seen:
                out.append(variant)
                seen.add(variant)
    return out


def _alter(text: str, rng: random.Random, pool: Sequence[str]) -> str:
    clauses = [clause for clause in _CLAUSE_END.split(text) if clause.strip()]
    operations = ["delete", "strip", "concat"] + (["span", "span"] if len(clauses) >= 2 else [])
    operation = rng.choice(operations)
    if operation == "span":  # a proper run of clauses: never the whole text
        start = rng.randrange(len(clauses))
        end = rng.randrange(start + 1, len(clauses) + 1)
        if end - start == len(clauses):
            end -= 1
        return "".join(clauses[start:end]).strip(" ，,")
    if operation == "delete":
        return "".join(ch for ch in text if rng.random() > DELETE_RATE)
    if operation == "strip":
        return _PUNCTUATION.sub(" " if rng.random() < 0.3 else "", text).strip()
    other = pool[rng.randrange(len(pool))]
    if rng.random() < 0.5:
        return text + rng.choice(["，", "。", " ", ""]) + other
    return other + rng.choice(["，", "。", " "]) + text
