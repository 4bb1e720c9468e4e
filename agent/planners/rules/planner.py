"""The embedded `rules` planner: imperative English over the scene and the skill catalogue.

One call per utterance. The order of reading matters:
  1. control words (stop / wait / go on) act on the plan as it is;
  2. an answer to the robot's open question re-plans the original request with the answers;
  3. preferences become notes (and re-shape a pending plan);
  4. corrections while working (exclusions, "no, the blue one", "put it on the tray instead");
  5. everything else is a new request, planned in full or refused or asked about as a whole.
"""

from __future__ import annotations

import re
import threading

from agent.planners.base import NotUnderstood, StepCallback
from agent.planners.rules.build import PlanBuilder, describe_step
from agent.planners.rules.catalog import Catalogue
from agent.planners.rules.choices import Chooser, narrow
from agent.planners.rules.dialogue import Context, context_of, control_of, question_chain
from agent.planners.rules.grounding import Referents
from agent.planners.rules.handover import UNREAD_CLAUSE, known_word, reason_not_understood
from agent.planners.rules.readings import other_readings, rules_misheard, without_bare_ones, words_respelled
from agent.planners.rules.notes import Rules, macro_for, job_question, preferences_in, read_notes, without_job
from agent.planners.rules.outcomes import NeedQuestion, Refusal
from agent.planners.rules.parse import Command, Exclusion, Parsed, parse_utterance
from agent.planners.rules.text import normalize, strip_fillers, strip_punct
from agent.planners.rules.world import PlanWorld, the
from agent.schema import Note, PlannerInput, PlannerTurn, PlanStep, SceneObject

_MAX_QUESTIONS = 2
# What one turn may say. A person's request, even a long job, is a few hundred characters; past
# this the text is pasted or runaway input, and reading it would only delay the answer.
MAX_UTTERANCE_CHARS = 1000
# Other readings of a misheard turn tried at most: each is a whole re-plan, so the count must
# not grow with the length of the turn.
_MAX_READINGS = 8
_FORGET = re.compile(r"^(?:please\s+)?(?:forget|ignore|drop|cancel|scrap|delete|remove|never mind)\s+(?:about\s+)?"
                     r"(?:the\s+|my\s+|that\s+|what i said about\s+|the rule about\s+|the note about\s+)?(?P<what>.*)$")
# "Drop", "remove" and "scrap" also move things ("drop the block into the bowl"); they only
# forget when they are about a rule or a note.
_FORGET_ONLY_VERBS = re.compile(r"^(?:please\s+)?(?:forget|ignore|never mind)\b")
_ABOUT_NOTES = re.compile(r"\b(?:rule|rules|note|notes|preference|preferences|what i said|what i told you|"
                          r"instruction|instructions|habit)\b")


def _too_long(inp: PlannerInput) -> PlannerTurn:
    """Declined whole, with the plan left as it was: a clear message, nothing read."""
    return PlannerTurn(say=f"That is too long for me to take in at once ({len(inp.utterance):,} characters; "
                           f"I take up to {MAX_UTTERANCE_CHARS:,}). Please say it in shorter parts.",
                       refused=True, steps=list(inp.pending))


class RulesPlanner:
    """With `handover=True` a turn the planner does not fully understand (see `handover.py`)
    raises `NotUnderstood` instead of being answered, so that a model planner can take it;
    without it, such a turn is answered as well as the rules can (a question, a refusal, or
    the part that was read)."""

    name = "rules"

    def __init__(self, handover: bool = False) -> None:
        self.handover = handover

    def plan(self, inp: PlannerInput, on_step: StepCallback | None = None,
             cancel: threading.Event | None = None) -> PlannerTurn:
        # `cancel` is accepted for the planner protocol; a rules turn takes milliseconds.
        if len(inp.utterance) > MAX_UTTERANCE_CHARS:
            return _too_long(inp)
        turn, reading = self._without_lost_phrases(inp) or self._as_heard(inp)
        if self.handover:
            self._check_understood(inp, turn, reading)
        if on_step is not None:
            for step in turn.steps:
                on_step(step)
        return turn

    def _check_understood(self, inp: PlannerInput, turn: PlannerTurn, reading: str) -> None:
        """Raise NotUnderstood unless `turn` fully understands `reading`. Words heard as a
        sound-alike of a scene word count as that word when reading them so plans the same."""
        verbs = Catalogue.from_input(inp.skills).plugin_verbs()
        extra = frozenset(w for v in verbs for w in v.split())
        why = reason_not_understood(inp, reading, turn, extra)
        if why is None:
            return
        respelled = words_respelled(reading, inp.scene, known_word)
        if respelled is not None:
            same = self._safe_turn(inp.model_copy(update={"utterance": respelled.text}))
            if same.steps == turn.steps and same.question == turn.question and \
                    reason_not_understood(inp, respelled.text, same, extra) is None:
                return
        raise NotUnderstood(why)

    def _without_lost_phrases(self, inp: PlannerInput) -> tuple[PlannerTurn, str] | None:
        """"Ron one, I said the green block", "Alright, the one": the turn read without the
        clauses that only say "one" (see `readings.without_bare_ones`), when that reading stands on its
        own; what is left may rightly change nothing."""
        for alt in without_bare_ones(inp.utterance, inp.scene)[:_MAX_READINGS]:
            turn, reading = self._as_heard(inp.model_copy(update={"utterance": alt}))
            if not turn.refused and turn.question is None:
                return turn, reading
        return None

    def _as_heard(self, inp: PlannerInput) -> tuple[PlannerTurn, str]:
        """The turn and the reading of the utterance it answers."""
        turn = self._safe_turn(inp)
        # Speech recognition confuses "and" with "in" ("the trash in the can" for "the trash
        # and the can"), "into" with "and to", and writes a place word as a sound-alike ("tree"
        # for "tray"): when the words as heard ask for the impossible, a reading that is possible
        # is taken instead. "In the X" where no X can hold anything is such a slip even when the
        # rest of the request can be done; then the other reading must do more.
        # A turn that moves nothing and notes nothing ("Clear the table and do the bin." read
        # as emptying an empty bin) is read again like one that needs a question.
        idle = not (turn.steps or turn.notes or turn.question or turn.refused) and turn.control == "none"
        only = "all" if turn.refused else "places" if turn.question or idle else "impossible"
        alts = [r.text for r in other_readings(inp.utterance, inp.scene, known_word, only)]
        for alt in (alts + rules_misheard(inp.utterance, inp.scene, known_word))[:_MAX_READINGS]:
            other = self._safe_turn(inp.model_copy(update={"utterance": alt}))
            if not other.refused and other.question is None and other.steps and \
                    (turn.refused or len(other.steps) > len(turn.steps)):
                return other, alt
        return turn, inp.utterance

    def _safe_turn(self, inp: PlannerInput) -> PlannerTurn:
        try:
            return self._turn(inp)
        except (Refusal, NeedQuestion, ValueError, KeyError, IndexError, AttributeError, TypeError) as e:
            # A sentence the grammar trips over must not take the agent down: say so, change nothing.
            message = getattr(e, "message", None) or "Sorry, I didn't understand that. Could you say it another way?"
            return PlannerTurn(say=message, refused=True, steps=list(inp.pending))

    # -- dispatch --------------------------------------------------------------------------------

    def _turn(self, inp: PlannerInput) -> PlannerTurn:
        catalogue = Catalogue.from_input(inp.skills)
        control = control_of(inp.utterance)
        chain = question_chain(inp)
        if control is not None:
            return self._control(inp, control, answering=chain is not None)
        if chain is not None:
            return self._answer(inp, catalogue, chain.request, chain.answers, chain.asked)
        prefs, rest = preferences_in(inp.utterance)
        for p in prefs:
            question = job_question(p.text)
            if question is not None:
                # A routine's phrase with no job yet: what it stands for is the person's to say.
                return PlannerTurn(question=question, steps=list(inp.pending))
        notes = list(inp.notes)
        new_notes = [Note(text=p.text, scope=p.scope) for p in prefs]
        notes += new_notes
        forget = self._forgotten(inp)
        if forget is not None:
            return forget
        if prefs and not " ".join(rest).strip():
            return self._preference_only(inp, catalogue, new_notes, notes)
        text = ". ".join(rest) if prefs else inp.utterance
        turn = self._request(inp, catalogue, text, notes)
        turn.notes = new_notes + turn.notes
        return turn

    # -- control ---------------------------------------------------------------------------------

    def _control(self, inp: PlannerInput, control: str, answering: bool) -> PlannerTurn:
        left = ([inp.running] if inp.running else []) + list(inp.pending)
        if control == "stop":
            if answering and not left:
                return PlannerTurn(say="Okay, never mind.", control="stop")
            if not left:
                return PlannerTurn(say="Okay, I've stopped.", control="stop")
            undone = " and ".join(describe_step(s) for s in left)
            return PlannerTurn(say=f"Stopping. I didn't {undone}.", control="stop")
        if control == "pause":
            return PlannerTurn(say="Okay, I'm waiting. Tell me when to go on.", control="pause",
                               steps=list(inp.pending))
        if not left:
            return PlannerTurn(say="There's nothing left for me to do.", control="resume")
        return PlannerTurn(say="Okay, carrying on.", control="resume", steps=list(inp.pending))

    # -- answers ---------------------------------------------------------------------------------

    def _answer(self, inp: PlannerInput, catalogue: Catalogue, request: str, answers: list[str],
                asked: int) -> PlannerTurn:
        if without_job(request) is not None:
            # The answer is the job of the routine the request began to teach.
            taught = request.strip().rstrip(" .!?") + ", " + " ".join(a.strip() for a in answers)
            return self._turn(inp.model_copy(update={"utterance": taught, "dialogue": [], "pending_question": None}))
        notes = list(inp.notes)
        try:
            steps, builder = self._build(inp, catalogue, request, notes, Chooser(list(answers)))
        except Refusal as e:
            return PlannerTurn(say=e.message, refused=True)
        except NeedQuestion as q:
            # Perhaps the person moved on to something else entirely.
            alone = self._try_request(inp, catalogue, inp.utterance, notes)
            if alone is not None:
                return alone
            if asked >= _MAX_QUESTIONS:
                return PlannerTurn(say="Sorry, I still can't tell what you mean, so I'll leave it for now. "
                                       "Please tell me again in other words.")
            return PlannerTurn(say="Sorry, I didn't get that.", question=q.question)
        return self._planned(steps, builder, [])

    # -- preferences and notes -------------------------------------------------------------------

    def _forgotten(self, inp: PlannerInput) -> PlannerTurn | None:
        t = strip_fillers(strip_punct(normalize(inp.utterance)))
        m = _FORGET.match(t)
        if not m or not inp.notes:
            return None
        if not _FORGET_ONLY_VERBS.match(t) and not _ABOUT_NOTES.search(t) and m.group("what").strip() not in (
                "that", "it", "this"):
            return None
        what = m.group("what").strip()
        if what in ("", "that", "it", "this", "what i said", "that rule", "the rule", "my note", "the last rule"):
            gone = [inp.notes[-1].text]
        else:
            keys = [w for w in re.findall(r"[a-z]+", what) if len(w) > 2 and w not in ("the", "rule", "about",
                                                                                        "note", "what", "said")]
            stems = [k.rstrip("s") for k in keys]
            gone = [n.text for n in inp.notes if any(s in n.text.lower() for s in stems)]
        if not gone:
            return None
        return PlannerTurn(say=f"Okay, I've forgotten that {gone[0]}.", forget=gone, steps=list(inp.pending))

    def _preference_only(self, inp: PlannerInput, catalogue: Catalogue, new: list[Note],
                         notes: list[Note]) -> PlannerTurn:
        said = "; ".join(n.text for n in new)
        say = f"Okay, I'll remember: {said}."
        steps = list(inp.pending)
        if steps:
            steps = self._replan_pending(inp, catalogue, notes)
            say += " I've updated the plan."
        return PlannerTurn(say=say, notes=new, steps=steps)

    def _replan_pending(self, inp: PlannerInput, catalogue: Catalogue, notes: list[Note]) -> list[PlanStep]:
        """Pending steps under the notes as they are now: protected objects are dropped, objects a
        destination rule covers go where the rule says."""
        rules = read_notes(notes)
        builder = self._builder(inp, catalogue, rules, Chooser(), context_of(inp))
        for step in inp.pending:
            obj = builder.world.get(str(step.args.get("object", "")))
            if obj is None:
                builder.steps.append(step)
                continue
            if obj.name.lower() in builder.note_excluded:
                continue
            dest = builder._rule_destination(obj) if step.skill == "place" else None
            if dest is not None:
                try:
                    builder.place(obj, dest[0], dest[1])
                    continue
                except Refusal:
                    pass
            builder.steps.append(step)
        return builder.steps

    # -- requests --------------------------------------------------------------------------------

    def _request(self, inp: PlannerInput, catalogue: Catalogue, text: str, notes: list[Note]) -> PlannerTurn:
        parsed = self._parse(text, catalogue, read_notes(notes))
        busy = inp.running is not None or bool(inp.pending)
        if parsed.exclusions and not parsed.commands:
            return self._exclusion_only(inp, catalogue, parsed.exclusions, notes)
        if not parsed.commands:
            if parsed.not_understood:
                return PlannerTurn(say=f"Sorry, I don't know how to {strip_fillers(parsed.not_understood[0])}.",
                                   refused=True, steps=list(inp.pending))
            return PlannerTurn(say="Okay.", steps=list(inp.pending))
        if busy or any(c.correction for c in parsed.commands) and inp.done:
            return self._while_busy(inp, catalogue, parsed, notes)
        try:
            steps, builder = self._build(inp, catalogue, text, notes, Chooser(), parsed=parsed)
        except Refusal as e:
            return PlannerTurn(say=e.message, refused=True)
        except NeedQuestion as q:
            return PlannerTurn(question=q.question)  # the graph speaks the question itself
        return self._planned(steps, builder, parsed.not_understood)

    def _try_request(self, inp: PlannerInput, catalogue: Catalogue, text: str,
                     notes: list[Note]) -> PlannerTurn | None:
        """A complete request said in place of an answer, or None."""
        parsed = self._parse(text, catalogue, read_notes(notes))
        if not parsed.commands or any(c.action in ("repeat", "redirect") or c.obj is not None and c.obj.pronoun
                                      for c in parsed.commands):
            return None
        try:
            steps, builder = self._build(inp, catalogue, text, notes, Chooser(), parsed=parsed)
        except (Refusal, NeedQuestion):
            return None
        return self._planned(steps, builder, [])

    def _parse(self, text: str, catalogue: Catalogue, rules: Rules) -> Parsed:
        macro = macro_for(text, rules)
        if macro is not None:
            parsed = parse_utterance(macro.body, catalogue.plugin_verbs())
            rest = _without(normalize(text), macro.trigger)
            if rest:
                extra = parse_utterance(rest, catalogue.plugin_verbs())
                parsed.commands += extra.commands
                parsed.exclusions += extra.exclusions
            return parsed
        return parse_utterance(text, catalogue.plugin_verbs())

    def _builder(self, inp: PlannerInput, catalogue: Catalogue, rules: Rules, chooser: Chooser,
                 ctx: Context) -> PlanBuilder:
        world = PlanWorld(scene=list(inp.scene), start_positions=dict(inp.start_positions))
        chooser.scene = list(inp.scene)
        return PlanBuilder(world=world, chooser=chooser, catalogue=catalogue, rules=rules,
                           referents=Referents(it=list(ctx.it), them=list(ctx.them)), template=ctx.template,
                           last_request_objects=list(ctx.last_request_objects))

    def _build(self, inp: PlannerInput, catalogue: Catalogue, text: str, notes: list[Note], chooser: Chooser,
               parsed: Parsed | None = None) -> tuple[list[PlanStep], PlanBuilder]:
        rules = read_notes(notes)
        parsed = parsed or self._parse(text, catalogue, rules)
        if not parsed.commands:
            what = parsed.not_understood[0] if parsed.not_understood else text
            raise Refusal(f"Sorry, I don't know how to {strip_fillers(strip_punct(normalize(what)))}.")
        builder = self._builder(inp, catalogue, rules, chooser, context_of(inp))
        builder.exclude(parsed.exclusions)
        builder.run(parsed.commands)
        return builder.steps, builder

    def _planned(self, steps: list[PlanStep], builder: PlanBuilder, not_understood: list[str]) -> PlannerTurn:
        remarks = " ".join(dict.fromkeys(builder.remarks))
        if not steps:
            return PlannerTurn(say=remarks or "There's nothing to do.", forget=builder.forget)
        say = f"Okay, I'll {_join([describe_step(s) for s in steps])}."
        if remarks:
            say += " " + remarks
        if not_understood:
            say += f" {UNREAD_CLAUSE} \"{not_understood[0]}\"."
        return PlannerTurn(say=say, steps=steps, forget=builder.forget)

    # -- coaching while working ------------------------------------------------------------------

    def _exclusion_only(self, inp: PlannerInput, catalogue: Catalogue, exclusions: list[Exclusion],
                        notes: list[Note]) -> PlannerTurn:
        """"No, not the plate! Leave the plate where it is": remember it for the session, drop it
        from the plan, and put it back if it was already picked up."""
        protected: list[SceneObject] = []
        new_notes: list[Note] = []
        planned = {str(s.args.get("object", "")).lower()
                   for s in ([inp.running] if inp.running else []) + list(inp.pending)}
        in_plan = [o for o in inp.scene if o.name.lower() in planned]
        for ex in exclusions:
            if ex.np.one and not ex.np.kinds and in_plan:
                # "skip the white one" while cans are being binned: one of the cans.
                ex.np.kinds = frozenset(o.kind for o in in_plan)
            found = narrow(ex.np, inp.scene) if not ex.np.pronoun else context_of(inp).it
            if not found:
                if ex.np.pronoun:
                    continue
                return PlannerTurn(say=f"I can't see {ex.np.describe()} on the table.", steps=list(inp.pending))
            for o in found:
                if o not in protected:
                    protected.append(o)
            text = f"leave {_names(found)} where {'it is' if len(found) == 1 else 'they are'}"
            if text not in [n.text for n in new_notes + notes]:
                new_notes.append(Note(text=text, scope="session"))
        names = {o.name.lower() for o in protected}
        steps: list[PlanStep] = []
        preempt = False
        running_obj = str(inp.running.args.get("object", "")).lower() if inp.running else ""
        done_objs = {str(r.step.args.get("object", "")).lower() for r in inp.done if r.status == "success"}
        for o in protected:
            key = o.name.lower()
            if key == running_obj:
                preempt = True
            if key == running_obj or key in done_objs or o.held:
                steps.append(PlanStep(skill="put_back", args={"object": o.name},
                                      instruction=f"put {the(o)} back where it was"))
        steps += [s for s in inp.pending if str(s.args.get("object", "")).lower() not in names]
        if not Catalogue.from_input(inp.skills).has("put_back"):
            steps = [s for s in steps if s.skill != "put_back"]
        say = f"Okay, I'll leave {_names(protected)} where {'it is' if len(protected) == 1 else 'they are'}."
        return PlannerTurn(say=say, notes=new_notes, steps=steps, preempt=preempt)

    def _while_busy(self, inp: PlannerInput, catalogue: Catalogue, parsed: Parsed,
                    notes: list[Note]) -> PlannerTurn:
        """A request while steps run or wait: a correction replaces the step it is about, anything
        else is added after the plan."""
        ctx = context_of(inp)
        current = inp.running or (inp.done[-1].step if inp.done else None)
        current_obj = (current.args.get("object") if current else None) or ""
        correcting = any(c.correction or c.action == "redirect" or (c.obj is not None and c.obj.pronoun == "it")
                         for c in parsed.commands)
        try:
            builder = self._builder(inp, catalogue, read_notes(notes), Chooser(), ctx)
            builder.exclude(parsed.exclusions)
            if correcting and current is not None:
                parsed.commands = [_as_new_destination(c, current, inp.scene) for c in parsed.commands]
            if correcting and current is not None and all(c.action == "repeat" for c in parsed.commands):
                # "Wrong one, I said the green block": same action, other object.
                kind = next((o.kind for o in inp.scene if o.name.lower() == str(current_obj).lower()), None)
                objs: list[SceneObject] = []
                for c in parsed.commands:
                    objs += builder._objects(c.obj, frozenset({kind}) if kind else frozenset())
                if [o.name.lower() for o in objs] == [str(current_obj).lower()] and inp.running is not None:
                    return PlannerTurn(say=f"I am moving the {current_obj} already.", steps=list(inp.pending))
                if inp.running is None and current_obj:
                    old = builder.world.get(str(current_obj))
                    if old is not None and catalogue.has("put_back"):
                        builder.put_back(old)
                builder.repeat_with(current, objs)
            else:
                builder.run(parsed.commands)
        except Refusal as e:
            return PlannerTurn(say=e.message, refused=True, steps=list(inp.pending))
        except NeedQuestion as q:
            return PlannerTurn(question=q.question)  # the graph speaks the question itself
        new_objs = {str(s.args.get("object", "")).lower() for s in builder.steps}
        if correcting:
            # The running step is replaced by the correction, never carried on after it.
            rest = [s for s in inp.pending if str(s.args.get("object", "")).lower() not in new_objs
                    and s != inp.running]
            preempt = inp.running is not None
            steps = builder.steps + rest
            say = f"Okay, instead I'll {_join([describe_step(s) for s in builder.steps])}." if builder.steps \
                else " ".join(builder.remarks) or "Okay."
        else:
            preempt = False
            steps = list(inp.pending) + builder.steps
            say = (f"Okay, after that I'll {_join([describe_step(s) for s in builder.steps])}."
                   if builder.steps else " ".join(builder.remarks) or "Okay.")
        return PlannerTurn(say=say, steps=steps, preempt=preempt, forget=builder.forget)


def _as_new_destination(cmd: Command, current: PlanStep, scene: list[SceneObject]) -> Command:
    """"Sorry, I meant the blue bowl" while the block goes to the red bowl: the phrase names the
    destination's kind, not the moved object's, so it is a new destination for the same object."""
    if cmd.action != "repeat" or cmd.obj is None or current.skill != "place":
        return cmd
    by_name = {o.name.lower(): o for o in scene}
    moved = by_name.get(str(current.args.get("object", "")).lower())
    target = by_name.get(str(current.args.get("target", "")).lower())
    if target is None:
        return cmd
    # "Not the plate, the tray": what it replaces says which part of the step is corrected.
    replaces_target = cmd.instead_of is not None and target in narrow(cmd.instead_of, [target]) and not (
        moved is not None and moved in narrow(cmd.instead_of, [moved]))
    if not replaces_target and (not cmd.obj.kinds or target.kind not in cmd.obj.kinds
                                or moved is not None and moved.kind in cmd.obj.kinds):
        return cmd
    relation = str(current.args.get("relation", "to"))
    relation = relation if relation in ("left_of", "right_of", "near") else "to"
    return Command("redirect", relation=relation, target=cmd.obj, text=cmd.text, correction=True)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return parts[0] if parts else ""
    return ", then ".join(parts[:-1]) + ", then " + parts[-1] if len(parts) < 3 else \
        ", ".join(parts[:-1]) + " and then " + parts[-1]


def _names(objs: list[SceneObject]) -> str:
    names = [the(o) for o in objs]
    if len(names) <= 1:
        return names[0] if names else "it"
    return ", ".join(names[:-1]) + " and " + names[-1]


def _without(text: str, phrase: str) -> str:
    out = re.sub(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", " ", strip_punct(text))
    return strip_fillers(out)
