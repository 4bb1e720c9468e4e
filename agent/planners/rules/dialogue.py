"""Reading the conversation: control words, the question being answered, what "it" and "them"
refer to, which step "now the blue cup" repeats, and whether an utterance corrects the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.control import control_of_normalized
from agent.planners.rules.choices import narrow
from agent.planners.rules.parse import Command, parse_utterance
from agent.planners.rules.text import normalize, strip_punct
from agent.schema import DialogueTurn, PlannerInput, PlanStep, SceneObject


def control_of(utterance: str) -> str | None:
    """"pause", "resume" or "stop" when the whole utterance is a control word, else None
    (the one control vocabulary, `agent.control`, read through this parser's normalizer)."""
    return control_of_normalized(strip_punct(normalize(utterance)))


@dataclass
class QuestionChain:
    request: str  # the user's request the questions are about
    answers: list[str]  # the person's answers so far, oldest first (the utterance now is last)
    asked: int  # questions asked about it


def question_chain(inp: PlannerInput) -> QuestionChain | None:
    """The open question's context, when the robot's last turn asked something."""
    turns = inp.dialogue
    last_robot = next((t for t in reversed(turns) if t.role == "robot"), None)
    asking = inp.pending_question is not None or (last_robot is not None and last_robot.kind == "question"
                                                  and turns and turns[-1].role == "robot")
    if not asking:
        return None
    answers = [inp.utterance]
    asked = 0
    i = len(turns) - 1
    request = None
    while i >= 0:
        # Skip to the robot's question.
        while i >= 0 and not (turns[i].role == "robot" and turns[i].kind == "question"):
            if turns[i].role == "user":
                break
            i -= 1
        if i < 0 or turns[i].role != "robot":
            break
        asked += 1
        i -= 1
        while i >= 0 and turns[i].role == "robot" and turns[i].kind != "question":
            i -= 1
        if i < 0:
            break
        if turns[i].role == "user":
            before = i - 1
            while before >= 0 and turns[before].role == "robot" and turns[before].kind != "question":
                before -= 1
            if before >= 0 and turns[before].role == "robot" and turns[before].kind == "question":
                answers.insert(0, turns[i].text)
                i -= 1
                continue
            request = turns[i].text
            break
    if asked == 0 and inp.pending_question is not None:
        asked = 1
    if request is None:
        user_turns = [t for t in turns if t.role == "user"]
        if not user_turns:
            return None
        request = user_turns[-1].text
    return QuestionChain(request=request, answers=answers, asked=asked)


def _is_answer(turns: list[DialogueTurn], i: int) -> bool:
    j = i - 1
    while j >= 0 and turns[j].role == "robot" and turns[j].kind != "question":
        j -= 1
    return j >= 0 and turns[j].role == "robot" and turns[j].kind == "question"


def last_request(inp: PlannerInput) -> str | None:
    """The last thing the person asked for (answers to questions count with their request)."""
    turns = inp.dialogue
    for i in range(len(turns) - 1, -1, -1):
        t = turns[i]
        if t.role != "user" or t.kind == "cue" or _is_answer(turns, i):
            continue
        if parse_utterance(t.text).commands:
            return t.text
    return None


@dataclass
class Context:
    """What the rest of the conversation contributes to this turn."""

    it: list[SceneObject] = field(default_factory=list)
    them: list[SceneObject] = field(default_factory=list)
    template: PlanStep | None = None
    last_request_objects: list[SceneObject] = field(default_factory=list)


def _obj(scene: list[SceneObject], step: PlanStep | None) -> SceneObject | None:
    if step is None:
        return None
    name = str(step.args.get("object", "")).lower()
    return next((o for o in scene if o.name.lower() == name), None)


def context_of(inp: PlannerInput) -> Context:
    ctx = Context()
    scene = inp.scene
    done_steps = [r.step for r in inp.done]
    done_objs: list[SceneObject] = []
    for s in done_steps:
        o = _obj(scene, s)
        if o is not None:
            if o in done_objs:
                done_objs.remove(o)
            done_objs.append(o)
    running = _obj(scene, inp.running)
    if running is not None:
        ctx.it = [running]
        ctx.template = inp.running
    elif done_objs:
        ctx.it = [done_objs[-1]]
    elif inp.pending and _obj(scene, inp.pending[0]) is not None:
        ctx.it = [_obj(scene, inp.pending[0])]  # type: ignore[list-item]
    if ctx.template is None:
        ctx.template = next((s for s in reversed(done_steps) if "object" in s.args), None)
    ctx.last_request_objects = _request_objects(inp, done_objs)
    # While a plan is under way, "them" means the objects it is moving.
    current = [o for o in (_obj(scene, s) for s in ([inp.running] if inp.running else []) + list(inp.pending))
               if o is not None]
    unique = [o for i, o in enumerate(current) if all(o is not p for p in current[:i])]
    ctx.them = unique or ctx.last_request_objects or list(ctx.it)
    return ctx


def _request_objects(inp: PlannerInput, done_objs: list[SceneObject]) -> list[SceneObject]:
    """The objects the last request moved: those its noun phrases name, among the objects moved."""
    request = last_request(inp)
    if not request or not done_objs:
        return done_objs[-1:]
    named: list[SceneObject] = []
    for cmd in parse_utterance(request).commands:
        nps = [cmd.obj] if cmd.obj is not None else []
        nps += list(cmd.tower)
        if cmd.action in ("clear", "sort") and cmd.obj is None:
            named.extend(done_objs)
        for np in nps:
            if np.pronoun:
                continue
            if np.everything and not np.kinds and not np.colors:
                named.extend(done_objs)
                continue
            named.extend(narrow(np, inp.scene))
    moved = [o for o in done_objs if o in named]
    return moved or done_objs[-1:]


def is_correction_only(cmds: list[Command]) -> bool:
    return bool(cmds) and all(c.action == "repeat" and c.correction for c in cmds)
