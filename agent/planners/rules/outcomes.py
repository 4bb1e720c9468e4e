"""The two ways planning an instruction can stop short: it cannot be done (a refusal with the
reason) or a real choice is open (a clarifying question)."""

from __future__ import annotations


class Refusal(Exception):
    """The instruction cannot be carried out; the message says why, in words for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NeedQuestion(Exception):
    """Planning needs the person to choose; the message is the question to ask."""

    def __init__(self, question: str):
        super().__init__(question)
        self.question = question
