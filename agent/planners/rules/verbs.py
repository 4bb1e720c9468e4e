"""Verb phrases and what they ask the robot to do.

Actions:
  place     put X in/on/next to Y
  dispose   throw X away (into a bin)
  put_away  tidy X up / put X away (the destination comes from notes, defaults or a question)
  clear     clear the table (everything that is not put away yet)
  sort      each X into the Y of the same colour
  put_back  return X to where it stood at the start
  undo      put back what the last request moved
  home      send the arm home
  hold      pick X up (only meaningful before "and put it ...")
"""

from __future__ import annotations

VERB_ACTIONS: dict[str, str] = {}


def _add(action: str, *phrases: str) -> None:
    for p in phrases:
        VERB_ACTIONS[p] = action


_add("place", "put", "place", "set", "move", "drop", "stack", "bring", "take", "transfer", "lay", "position",
     "stick", "pop", "load", "shift", "carry", "slide", "deposit", "stand", "pile", "relocate", "get",
     "put down", "set down", "lay down", "place down", "drop off", "hand", "leave", "sit", "nest",
     "insert", "fit", "plonk", "plop", "dump", "arrange", "line up")
_add("dispose", "throw away", "throw out", "throw", "toss", "toss out", "toss away", "chuck", "chuck out",
     "chuck away", "get rid of", "discard", "dispose of", "trash", "bin", "junk", "ditch", "scrap",
     "recycle", "bin up", "dispose")
_add("put_away", "put away", "tidy", "tidy up", "tidy away", "clean up", "clear away", "store", "stow",
     "pack away", "clear up", "put up", "pack up", "pack", "tuck away", "clean away", "file away")
_add("clear", "clear", "clear off", "clean off", "clean", "declutter", "empty", "wipe", "clean out")
_add("sort", "sort", "sort out", "organize", "organise", "group", "match", "pair", "pair up", "separate",
     "categorize", "categorise", "order")
_add("put_back", "return", "restore", "put back", "move back", "bring back", "place back", "set back",
     "take back", "replace")
_add("undo", "undo", "revert", "reverse", "take that back", "roll back")
_add("home", "go home", "return home", "go back home", "go to home", "home", "go to your home position",
     "go back to your start position", "go to rest", "rest", "park", "go back to start", "reset")
_add("hold", "pick up", "grab", "lift", "pick", "hold", "take hold of", "lift up", "grasp")

# Verbs that take a particle after the object ("throw the can away", "put it back").
PARTICLE_ACTIONS: dict[tuple[str, str], str] = {
    ("throw", "away"): "dispose", ("throw", "out"): "dispose", ("toss", "away"): "dispose",
    ("toss", "out"): "dispose", ("chuck", "away"): "dispose", ("chuck", "out"): "dispose",
    ("put", "away"): "put_away", ("tidy", "away"): "put_away", ("tidy", "up"): "put_away",
    ("clean", "up"): "put_away", ("clear", "away"): "put_away", ("pack", "away"): "put_away",
    ("put", "back"): "put_back", ("place", "back"): "put_back", ("move", "back"): "put_back",
    ("set", "back"): "put_back", ("bring", "back"): "put_back", ("take", "back"): "put_back",
    ("get", "back"): "put_back", ("stack", "up"): "place", ("pick", "up"): "hold",
    ("store", "away"): "put_away", ("take", "out"): "hold", ("get", "out"): "hold", ("lift", "out"): "hold",
    ("pick", "out"): "hold", ("clear", "off"): "clear", ("clean", "off"): "clear",
}
PARTICLES = ("away", "out", "back", "up", "off", "down")

# Words for the table itself as the thing to clear ("clear the table", "clean up the desk").
TABLE_WORDS = frozenset({"table", "the table", "tabletop", "the tabletop", "the desk", "desk", "workspace",
                         "the workspace", "the surface", "surface", "the counter", "counter", "everything",
                         "up", "the table off", "off the table", "the mess", "this mess", "the place",
                         "up the table", "all of it", "it all", "everything up", "the area", "area",
                         "this table", "my table", "the whole table", "the entire table"})

# The table itself, as the object of "clear"/"wipe" or before a destination ("clear the table into the bin").
TABLE_NOUNS = frozenset({"table", "the table", "tabletop", "the tabletop", "the desk", "desk", "workspace",
                         "the workspace", "the surface", "the counter", "counter", "this table", "my table",
                         "the whole table", "the entire table", "the table off", "off the table", "up the table"})

# Phrases meaning "back where it was"; when present the request is put_back.
BACK_WHERE = (
    r"(?:back\s+)?(?:to\s+)?(?:where|the\s+place|the\s+spot)\s+(?:it|they|that|this)\s+"
    r"(?:was|were|came\s+from|started|stood|used\s+to\s+be|had\s+been|was\s+before|"
    r"were\s+before|was\s+at\s+the\s+start|started\s+out)(?:\s+before)?"
    r"|(?:back\s+)?(?:to|in|into|at)\s+(?:its|their|the)\s+(?:original|old|previous|starting|start|initial|"
    r"first)?\s*(?:place|places|spot|spots|position|positions|location|locations|start)"
    r"|back\s+where\s+(?:it|they)\s+(?:belongs|belong)"
    r"|(?:back\s+)?(?:to\s+)?where\s+(?:you|i|we)\s+(?:found|got|took|picked|lifted)\s+(?:it|them|that|this|those)"
    r"(?:\s+up)?(?:\s+from)?"
)

# "Where it belongs" without "back": wherever that kind of thing is put away.
WHERE_IT_BELONGS = (
    r"(?:to\s+|in\s+)?(?:where|the\s+place|the\s+spot)\s+(?:it|they|that|this)\s+(?:belongs|belong|goes|go|should\s+go|"
    r"lives|live|is\s+kept|are\s+kept)|(?:to\s+|in\s+)?(?:its|their)\s+(?:proper\s+|usual\s+|right\s+)?"
    r"(?:place|places|home|spot|spots)"
)
