"""Reading the conversation: control words, the question being answered, what "it" and "them"
refer to, which step "now the blue cup" repeats, and whether an utterance corrects the plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.planners.rules.choices import narrow
from agent.planners.rules.parse import Command, parse_utterance
from agent.planners.rules.text import normalize, strip_punct
from agent.schema import DialogueTurn, PlannerInput, PlanStep, SceneObject

_PAUSE = ["wait", "hold on", "hold it", "pause", "freeze", "one moment", "one second", "one sec", "just a sec",
          "just a second", "just a moment", "hang on", "wait a second", "wait a moment", "wait a minute",
          "hold on a second", "hold on a moment", "give me a second", "give me a moment", "not yet",
          "hold still", "halt for a moment", "pause for a moment", "wait up", "hold up", "stay there",
          "stay still", "stand by", "hold that thought", "wait wait", "hold", "hold it there", "a moment",
          "a second", "a sec", "one minute", "a minute", "hold your horses", "easy", "steady", "slow down",
          "wait for me", "wait there"]
_RESUME = ["go on", "continue", "keep going", "resume", "carry on", "go ahead", "proceed", "you can continue",
           "you can go on", "you may continue", "unpause", "go", "continue please", "keep at it", "move on",
           "okay continue", "all good", "you can go", "go again", "start again", "keep on going", "on you go",
           "back to work", "get going", "as you were", "finish it", "finish up", "carry on then", "back to it",
           "off you go", "keep it up", "you may proceed", "go for it", "let us go", "on with it", "get on with it",
           "keep on", "continue on", "you can keep going", "you can go ahead", "you can proceed", "good to go",
           "finish", "go right ahead", "carry on with it", "keep going with it", "you may go on",
           "you may carry on", "i am done", "i am ready", "ready", "all clear", "to go"]
_STOP = ["stop", "stop it", "stop now", "abort", "halt", "never mind", "nevermind", "cancel", "cancel that",
         "forget it", "abandon", "abandon it", "quit", "enough", "that is enough", "stop everything",
         "stop right there", "stop stop", "emergency stop", "do not do that", "do not", "do not do it", "no stop",
         "stop that", "cancel everything", "cancel it", "forget about it", "leave it", "drop it", "skip it",
         "stop moving", "stop what you are doing", "that will do", "never mind that", "scratch that"]
_CONTROL_FILLERS = re.compile(r"\b(?:okay|ok|alright|all right|please|robot|now|right|then|you can|yes|yeah|"
                              r"sure|good|great|thanks|thank you|fine|again|hey|oh|so|just|and|no|sorry|hmm|um|"
                              r"whoa|woah|wow|uh|er|yikes|oops|careful|quick|nope|you are|you may|it is|that is|"
                              r"with it|go ahead and|well)\b")
_CONTROLS = sorted([(p, c) for words_, c in ((_STOP, "stop"), (_PAUSE, "pause"), (_RESUME, "resume"))
                    for p in words_], key=lambda pc: -len(pc[0].split()))


def control_of(utterance: str) -> str | None:
    """"pause", "resume" or "stop" when the whole utterance is a control word, else None."""
    t = strip_punct(normalize(utterance))
    core = re.sub(r"\s+", " ", _CONTROL_FILLERS.sub(" ", t)).strip()
    core = re.sub(r"\s+(?:for\s+)?(?:a|one|just a)\s+(?:second|sec|moment|minute|bit|tick)$", "", core)
    said = _control_words(core.split())
    if said:
        # "wait, stop" is a stop; "hang on, hang on" a pause.
        return next(c for c in ("stop", "pause", "resume") if c in said)
    if not core and re.search(r"\b(?:okay|ok|alright|all right|yes|yeah|sure|fine)\b", t):
        return "resume"  # a bare "okay" while something waits means carry on
    return None


def _control_words(ws: list[str]) -> list[str] | None:
    """The controls the words say, when every word belongs to a control phrase, else None."""
    if not ws:
        return None
    for phrase, control in _CONTROLS:
        n = len(phrase.split())
        if ws[:n] == phrase.split():
            rest = ws[n:]
            if not rest:
                return [control]
            more = _control_words(rest)
            if more is not None:
                return [control] + more
    return None


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
