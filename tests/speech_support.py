"""Helpers for the speech tests."""

from __future__ import annotations

import re


def norm(text: str) -> str:
    """Lower case, letters and apostrophes only: how transcripts are compared."""
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower()).split())
