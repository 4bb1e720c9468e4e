"""Text clean-up shared by the parser: lower case, expanded contractions, politeness stripped.

Speech recognition output is lower case without reliable punctuation, typed text has both;
everything downstream sees the same normalised form.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CONTRACTIONS = [
    (r"\bdon't\b", "do not"), (r"\bdoesn't\b", "does not"), (r"\bdidn't\b", "did not"),
    (r"\bcan't\b", "cannot"), (r"\bwon't\b", "will not"), (r"\bshouldn't\b", "should not"),
    (r"\bisn't\b", "is not"), (r"\baren't\b", "are not"), (r"\bit's\b", "it is"), (r"\bthat's\b", "that is"),
    (r"\bwhat's\b", "what is"), (r"\bthere's\b", "there is"), (r"\bi'm\b", "i am"), (r"\bi'd\b", "i would"),
    (r"\bi'll\b", "i will"), (r"\bi've\b", "i have"), (r"\blet's\b", "let us"), (r"\bwe're\b", "we are"),
    (r"\byou're\b", "you are"), (r"\bthey're\b", "they are"), (r"\bwhere's\b", "where is"),
    (r"\bhere's\b", "here is"), (r"\bone's\b", "one is"), (r"\bcolour\b", "color"), (r"\bcolours\b", "colors"),
    (r"\bgrey\b", "grey"), (r"\bokay\b", "okay"), (r"\bok\b", "okay"), (r"\bo\.k\.", "okay"),
    (r"\bt-shirt\b", "shirt"), (r"\bleft-hand\b", "left hand"), (r"\bright-hand\b", "right hand"),
    (r"\b(it|that|you|we|they|he|she|there)'d\b", r"\1 would"), (r"\b(you|we|they)'ve\b", r"\1 have"),
    (r"\b(you|we|they|it|that|he|she)'ll\b", r"\1 will"),
    (r"\b(whatever|everything|anything|something|nothing|which|who)'s\b", r"\1 is"),
]

# Openers that carry no content ("please", "could you", "actually", ...), stripped repeatedly.
_LEADING_FILLERS = [
    "please", "could you please", "could you", "can you please", "can you", "would you please", "would you",
    "will you", "i want you to", "i would like you to", "i need you to", "you should", "you can", "go ahead and",
    "now", "okay", "alright", "all right", "so", "and", "also", "then", "next", "finally", "first", "firstly",
    "first of all", "second", "secondly", "third", "thirdly", "after that", "afterwards", "lastly", "robot",
    "hey robot", "hey", "oh", "um", "uh", "uhm", "er", "well", "just", "quickly", "carefully", "gently",
    "let us", "ok", "right", "good", "great", "thanks", "thank you", "cool", "sure", "yes", "yeah", "fine",
    "kindly", "now please", "try to", "go and", "and then", "and now", "but", "or", "and finally",
    "and lastly", "last", "at the end", "in the end", "after this", "once that is done", "when you are done",
    "when done", "when finished", "hmm", "would you mind", "do you mind", "could you please go ahead and",
    "would you be able to", "could you be so kind as to", "would you kindly", "please could you",
    "i would like you to please", "i want you to please", "i would love it if you could", "if you could",
    "do me a favor and", "be a dear and", "time to", "it is time to", "let us go ahead and",
    # "would you be so kind as to ...": "would you" goes first, then the rest of the courtesy.
    "be so kind as to", "be kind enough to", "be good enough to", "be so good as to",
    # A discourse opener before a real request ("never mind, undo it"); alone it is a stop word.
    "never mind", "nevermind", "on second thought", "on second thoughts", "come to think of it",
    # How the first of several steps is announced ("start by putting the can in the bin").
    "start by", "begin by", "to start", "to begin", "to begin with", "to start with", "start off by",
]
# Requests said as a wish, a question or a favour: "it would be great if you could ...", "do you
# think you could ...", "is it possible to ...", "I would appreciate it if you would ...".
_COURTESY_FRAME = re.compile(
    r"^(?:(?:it|that)\s+would\s+be\s+(?:really\s+|very\s+|so\s+)?(?:great|nice|lovely|good|helpful|awesome|"
    r"wonderful|brilliant|fantastic|super|perfect|ideal|cool)\s+if\s+you\s+(?:could|would|can|might)"
    r"|(?:do|did)\s+you\s+think\s+you\s+(?:could|can|would|might)"
    r"|(?:is\s+there\s+)?any\s+chance\s+(?:that\s+)?you\s+(?:could|can|would|might)"
    r"|(?:i\s+)?(?:was\s+|am\s+)?wondering\s+if\s+you\s+(?:could|would|can|might)"
    r"|i\s+wonder\s+if\s+you\s+(?:could|would|can|might)"
    r"|(?:would|will|is)\s+it\s+be\s+possible\s+(?:for\s+you\s+)?to|is\s+it\s+possible\s+(?:for\s+you\s+)?to"
    r"|(?:i\s+)?would\s+(?:really\s+)?(?:appreciate|love)\s+it\s+if\s+you(?:\s+(?:could|would|can))?"
    r"|(?:could|would|can)\s+you\s+(?:possibly|maybe|perhaps)"
    r"|(?:maybe|perhaps)\s+you\s+(?:could|can|would)"
    r"|how\s+about\s+you|why\s+do\s+not\s+you|why\s+not|(?:would\s+you\s+|do\s+you\s+)?mind)\s+")
_TRAILING_FILLERS = [
    "please", "for me", "thanks", "thank you", "too", "as well", "again", "now", "right now", "okay",
    "if you can", "if you would", "if possible", "quickly", "carefully", "then", "first", "next", "as well please",
    "thank you very much", "instead", "straight away", "right away", "when you can", "later", "real quick",
]


def normalize(text: str) -> str:
    """Lower case, contractions expanded, punctuation reduced to sentence and clause marks."""
    t = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    t = t.replace("\u2014", ",").replace("\u2013", ",").replace(" - ", ", ")
    for pat, rep in _CONTRACTIONS:
        t = re.sub(pat, rep, t)
    # "to the plate's left" is "to the left of the plate" (before possessives lose their 's).
    t = re.sub(r"\b(to|on|at)\s+(the|my|your)\s+([a-z]+(?:\s[a-z]+)?)'s\s+(left|right)(?:[\s-]hand)?(?:\s+side)?\b",
               r"\1 the \4 of \2 \3", t)
    # "the mug goes to its right": the right of whatever "it" is.
    t = re.sub(r"\b(to|on|at)\s+its\s+(left|right)(?:[\s-]hand)?(?:\s+side)?\b", r"\1 the \2 of it", t)
    t = re.sub(r"\b(to|on|at)\s+their\s+(left|right)(?:[\s-]hand)?(?:\s+side)?\b", r"\1 the \2 of them", t)
    # "the party's over": 's before a word no noun follows is "is", not a possessive.
    t = re.sub(r"([a-z])'s\s+(?=(?:over|done|finished|gone|here|there|ready|coming|leaving|going|getting|been|"
               r"not|about|almost|nearly|so|too|very|really|all|late|early|starting|arriving)\b)", r"\1 is ", t)
    # Correction markers as speech recognition writes them: "I meant the" heard as "I'm at
    # the", "I said the" as "I sent the" (nobody tells a robot where they stand, or what they posted).
    t = re.sub(r"\bi am at (?=(?:the|that|this)\b)", "i meant ", t)
    t = re.sub(r"\bi sent (?=(?:the|that|this)\b)", "i said ", t)
    t = re.sub(r"(\w)'s\b", r"\1", t)  # possessives: "the robot's" -> "the robot"
    t = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", t)  # "can-that's" as speech recognition may join words
    t = re.sub(r"[\"()\[\]{}*_]", " ", t)
    t = re.sub(r"[^a-z0-9,;:.!?' -]", " ", t)
    t = t.replace("'", " ")
    t = re.sub(r"\s+", " ", t).strip()
    return t


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text)


def listing(items: list[str], last: str = "and") -> str:
    """Items as said in a sentence: "the cup", "the cup and the bowl", "a, b or c"."""
    if len(items) <= 1:
        return items[0] if items else ""
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def strip_punct(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[,;:.!?]", " ", text)).strip()


def _strip_edges(text: str, fillers: list[str], leading: bool) -> str:
    ordered = sorted(fillers, key=len, reverse=True)
    changed = True
    while changed and text:
        changed = False
        for f in ordered:
            if leading and (text == f or text.startswith(f + " ")):
                text = text[len(f):].strip()
                changed = True
                break
            if not leading and (text == f or text.endswith(" " + f)):
                text = text[: len(text) - len(f)].strip()
                changed = True
                break
    return text


def strip_fillers(text: str) -> str:
    """A clause without its polite or discourse openers and closers."""
    text = strip_punct(text)
    text = _strip_edges(text, _LEADING_FILLERS, leading=True)
    framed = _COURTESY_FRAME.sub("", text, count=1)
    if framed != text:
        text = _strip_edges(framed, _LEADING_FILLERS, leading=True)
    text = _strip_edges(text, _TRAILING_FILLERS, leading=False)
    return text


@lru_cache(maxsize=8192)
def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """`phrase` as whole words. Cached here: the lexicon has more phrases than the `re` module's
    own cache holds (512), so without this every turn would compile them again."""
    return re.compile(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])")


def has_phrase(text: str, phrase: str) -> bool:
    return phrase_pattern(phrase).search(text) is not None


def find_phrase(text: str, phrase: str, start: int = 0) -> int:
    m = phrase_pattern(phrase).search(text, start)
    return m.start() if m else -1


def edit_distance(a: str, b: str) -> int:
    """Letters to insert, delete or change to turn `a` into `b`."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def sound_skeleton(word: str) -> str:
    """A word as it sounds, roughly: "th", "sh", "ch", "ph" as one consonant, every run of vowels
    (and a "y" after a vowel) as one vowel sound, doubled letters once."""
    w = re.sub(r"([tscp])h", r"\1", word.lower())
    w = re.sub(r"(?<=[aeiou])y", "a", w)
    w = re.sub(r"(.)\1+", r"\1", w)
    return re.sub(r"[aeiou]+", "a", w)


def sounds_alike(a: str, b: str) -> bool:
    """Two different words speech recognition may write one for the other: one letter apart
    ("sit" / "set", "cuts" / "cups"), or the same skeleton of sounds with at most one sound
    changed and no more than three letters different ("tree" / "tray", "then" / "bin")."""
    a, b = a.lower(), b.lower()
    if a == b or min(len(a), len(b)) < 3:
        return False
    d = edit_distance(a, b)
    if d == 1:
        return True
    return d <= 3 and edit_distance(sound_skeleton(a), sound_skeleton(b)) <= 1 and \
        sound_skeleton(a)[-1:] == sound_skeleton(b)[-1:]
