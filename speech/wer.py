"""Word error rate, the way the speech benchmark and the voice evaluation count it: lower
case, punctuation removed, "ok"/"okay" and spelled digits unified."""

from __future__ import annotations

import re

_NUM = {"0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five"}


def norm_words(text: str) -> list[str]:
    words = re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()
    return [{"ok": "okay"}.get(_NUM.get(w, w), _NUM.get(w, w)) for w in words]


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    d = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        prev, d[0] = d[:], i
        for j in range(1, len(hyp) + 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (ref[i - 1] != hyp[j - 1]))
    return d[len(hyp)]


def word_error_rate(ref: str, hyp: str) -> float:
    r = norm_words(ref)
    return edit_distance(r, norm_words(hyp)) / max(1, len(r))
