"""Reading a model's reply as a PlannerTurn and saying what is wrong with it.

The problems are written for the model: they go back to it verbatim when it is asked again.
"""

from __future__ import annotations

import json
import re

from pydantic import ValidationError

from agent.schema import PlannerInput, PlannerTurn, SceneObject
from agent.validate import turn_problems
from skills.registry import SkillRegistry


def json_object_text(text: str) -> str | None:
    """The outermost {...} in `text` (models without constrained decoding like code fences)."""
    start = text.find("{")
    if start < 0:
        return None
    end = text.rfind("}")
    # Without a closing brace the text is cut off; json.loads then says where, for the re-ask.
    return text[start : end + 1] if end > start else text[start:]


def parse_turn(text: str) -> tuple[PlannerTurn | None, list[str]]:
    """The turn in `text`, or None and why not."""
    body = json_object_text(text)
    if body is None:
        return None, ["the answer is not a JSON object"]
    try:
        data = json.loads(body)
    except ValueError as e:
        return None, [f"the answer is not valid JSON: {e}"]
    try:
        return PlannerTurn.model_validate(data), []
    except ValidationError as e:
        problems = []
        for err in e.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(turn)"
            problems.append(f"field {where}: {err['msg']}")
        return None, problems


def check_turn(turn: PlannerTurn, registry: SkillRegistry, scene: list[SceneObject],
               inp: PlannerInput | None = None) -> list[str]:
    problems = turn_problems(turn, registry, scene)
    if turn.refused and turn.steps:
        problems.append("a turn that refuses must not also plan steps")
    problems += contradictions(turn, inp)
    return problems


def contradictions(turn: PlannerTurn, inp: PlannerInput | None) -> list[str]:
    """Fields that cannot all be meant at once. A real 1.5B model wrote a question together
    with `refused` on a third of its turns, and pause/preempt with the arm idle; accepting
    such a turn makes the robot both ask and give up, or stop nothing."""
    problems = []
    if turn.question and turn.refused:
        problems.append('a turn either asks ("question") or refuses ("refused": true), not both')
    if turn.control != "none" and (turn.refused or turn.question):
        problems.append(f'"control": "{turn.control}" is an answer by itself: no question and "refused": false')
    if inp is not None and turn.refused:
        seen = _said_unseen(turn.say, inp.scene)
        if seen:
            problems.append(f'the refusal says the {seen} cannot be seen, but "{seen}" is in the scene list: '
                            "plan with it, ask which one, or refuse for another reason")
    if inp is not None and inp.running is None:
        if turn.preempt:
            problems.append('"preempt" is true but no step is running; set it to false')
        if turn.control == "pause" and not inp.pending:
            problems.append('"control" is "pause" but nothing is running or planned; use "none"')
    return problems


# The end of the problem a guessed referent raises: a planner that can be constrained (the local
# model's grammar) is then only allowed to ask.
ASK_WHICH = "ask which one, plan no steps"

_UNSEEN = re.compile(r"\b(?:can't|cannot|can not|don't|do not|couldn't|could not)\s+(?:see|find)\s+(?P<what>[^.,;!?]+)", re.I)


def _said_unseen(say: str, scene: list[SceneObject]) -> str | None:
    """The scene object a refusal claims not to see ("I can't see the green block"), if any."""
    for m in _UNSEEN.finditer(say or ""):
        what = " " + re.sub(r"\s+", " ", m.group("what").lower()) + " "
        for o in sorted(scene, key=lambda o: -len(o.name)):
            if f" {o.name.lower()} " in what:
                return o.name
    return None


# Words after "the <kind>" that go on to say which one ("the bowl of the same colour", "the cup
# that is red", "the block nearest the tray"): the request tells them apart, or may.
# ("in", "on", "to" and "at" are left out: they usually say where it goes, and "the cup on the
# left" is told apart by its side word anyway.)
_QUALIFIED_BY = frozenset({"of", "that", "which", "who", "with", "near", "next", "by", "beside", "nearest",
                           "closest", "furthest", "farthest", "from", "where", "you", "i", "we"})


def _fresh_request(inp: PlannerInput) -> bool:
    """Nothing said, done or running before this request: only its own words say what it means."""
    return not (inp.dialogue or inp.done or inp.pending_question or inp.running is not None)


def guessed_referent(turn: PlannerTurn, inp: PlannerInput) -> str | None:
    """A plan that acts on one of several objects a fresh request names alike: "the cup" with a
    red and a blue cup on the table, nothing said before, no colour or side word in the request
    that tells them apart. The robot must ask, not guess (a real 1.5B model guessed on three
    of four such requests)."""
    if not _fresh_request(inp):
        return None
    from agent.planners.rules import lexicon as lx  # noqa: PLC0415 - the one table of words

    words = re.findall(r"[a-z]+", inp.utterance.lower())
    told = {lx.COLOR_WORDS[w] for w in words if w in lx.COLOR_WORDS} | {w for w in words if w in lx.SIDE_WORDS}
    chosen = {str(v).lower() for st in turn.steps for k, v in st.args.items() if k in ("object", "target")}
    for i, w in enumerate(words[:-1]):
        if w != "the" or words[i + 1] not in lx.KIND_WORDS:
            continue
        kind, plural = lx.KIND_WORDS[words[i + 1]]
        if plural or (i + 2 < len(words) and words[i + 2] in _QUALIFIED_BY):
            continue
        alike = [o for o in inp.scene if o.kind == kind]
        if len(alike) < 2 or any(o.color in told for o in alike) or told & set(lx.SIDE_WORDS):
            continue
        if chosen & {o.name.lower() for o in alike}:
            names = ", ".join(o.name for o in alike)
            return (f'the person said "the {words[i + 1]}" and {len(alike)} objects fit it ({names}), with nothing '
                    "said before to decide: " + ASK_WHICH)
    return None


# Words that let a request reach objects it does not name ("clear the table", "put them away").
_OPEN_WORDS = frozenset({"table", "clear", "tidy", "clean", "rest", "other", "others", "one", "ones", "it", "that",
                         "this", "them", "those", "these", "they", "same", "again", "back", "undo", "instead"})


def unasked_objects(turn: PlannerTurn, inp: PlannerInput) -> str | None:
    """A fresh request that names its objects by kind or colour ("put all the blocks in the
    basket"), and a plan that also moves an object of another kind and colour (the yellow cup):
    a real 1.5B model did this. Requests that reach further ("everything", "clear the table",
    "the dishes", "them") are left alone."""
    if not _fresh_request(inp) or inp.notes:
        return None
    from agent.planners.rules import lexicon as lx  # noqa: PLC0415

    text = inp.utterance.lower()
    words = re.findall(r"[a-z]+", text)
    for i, w in enumerate(words):
        if w == "all":  # "all the blocks" names its kind; "all of it", "put all away" do not
            nxt = [x for x in words[i + 1 : i + 3] if x not in ("the", "of")]
            if nxt and (nxt[0] in lx.KIND_WORDS or nxt[0] in lx.CATEGORY_WORDS or nxt[0] in lx.COLOR_WORDS):
                continue
            return None
        if w in lx.EVERYTHING_WORDS or w in _OPEN_WORDS:
            return None
    kinds = {lx.KIND_WORDS[w][0] for w in words if w in lx.KIND_WORDS}
    kinds |= {k for w in words if w in lx.CATEGORY_WORDS for k in lx.CATEGORY_WORDS[w]}
    colors = {lx.COLOR_WORDS[w] for w in words if w in lx.COLOR_WORDS}
    scene = {o.name.lower(): o for o in inp.scene}
    for i, st in enumerate(turn.steps, start=1):
        name = st.args.get("object")
        o = scene.get(str(name).lower()) if isinstance(name, str) else None
        if o is None or o.name.lower() in text or o.kind in kinds or (o.color and o.color in colors):
            continue
        return (f"step {i} moves the {o.name}, but the request names no {o.kind} "
                f"and nothing {o.color or 'of its colour'}: move only what was asked for")
    return None


def answer_problems(turn: PlannerTurn, inp: PlannerInput) -> list[str]:
    """What a model's answer is checked for beyond every planner's checks: acting on a guess,
    moving what nobody asked for. (The rules parser grounds what it reads itself.)"""
    if not turn.steps or turn.question:
        return []
    return [p for p in (guessed_referent(turn, inp), unasked_objects(turn, inp)) if p]


def read_turn(text: str, registry: SkillRegistry, scene: list[SceneObject],
              inp: PlannerInput | None = None) -> tuple[PlannerTurn | None, list[str]]:
    """Parse and check: a turn with no problems, or the turn (if it parsed) and its problems."""
    turn, problems = parse_turn(text)
    if turn is None:
        return None, problems
    problems = check_turn(turn, registry, scene, inp)
    if inp is not None:
        # A model's own answer only: the rules parser grounds references itself, and may
        # rightly tell alike objects apart by what the world shows (the one not yet in the bin).
        problems += answer_problems(turn, inp)
    return turn, problems
