"""Commands -> plan steps, grounded in the scene and checked against the catalogue.

Every step is checked as it is made: impossible placements are refused, steps whose effect
already holds are skipped with a remark, and open choices go to the Chooser (a question).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.planners.rules import lexicon as lx
from agent.planners.rules.catalog import VALUE_SYNONYMS, Catalogue
from agent.planners.rules.choices import Chooser, Destination, narrow
from agent.planners.rules.grounding import Grounder, Referents
from agent.planners.rules.notes import Rules
from agent.planners.rules.outcomes import NeedQuestion, Refusal
from agent.planners.rules.parse import Command, Exclusion
from agent.planners.rules.phrases import NounPhrase, parse_np
from agent.planners.rules.text import find_phrase, listing, words
from agent.planners.rules.world import (RELATION_WORDS, PlanWorld, concrete_relation, holds_inside, holds_on_top,
                                        is_fixed, placement_problem, the)
from agent.schema import PlanStep, SceneObject

# Kinds that are emptied before the things they could be carrying ("small items before plates").
_LAST_KINDS = {"plate": 2, "bowl": 1, "block": 0}


def place_instruction(obj: SceneObject, relation: str, target: SceneObject) -> str:
    return f"put {the(obj)} {RELATION_WORDS[relation]} {the(target)}"


def describe_step(step: PlanStep) -> str:
    if step.instruction:
        return step.instruction
    return f"{step.skill.replace('_', ' ')} {' '.join(str(v) for v in step.args.values())}".strip()


@dataclass
class PlanBuilder:
    world: PlanWorld
    chooser: Chooser
    catalogue: Catalogue
    rules: Rules = field(default_factory=Rules)
    referents: Referents = field(default_factory=Referents)
    template: PlanStep | None = None  # the step "now the blue cup" repeats
    last_request_objects: list[SceneObject] = field(default_factory=list)  # what "undo that" puts back
    steps: list[PlanStep] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    forget: list[str] = field(default_factory=list)
    excluded: list[SceneObject] = field(default_factory=list)  # said in this utterance: leave alone
    note_excluded: dict[str, str] = field(default_factory=dict)  # object name -> note that protects it
    acted_on: list[SceneObject] = field(default_factory=list)
    several: bool = False  # the request has several parts (a job), not one
    first: NounPhrase | None = None  # the command being planned says these objects go first
    targets: list[SceneObject] = field(default_factory=list)  # destinations of this plan's steps

    def __post_init__(self) -> None:
        self.grounder = Grounder(self.world, self.chooser, self.referents)
        for np, text in self.rules.exclusions:
            for o in narrow(np, self.world.scene) if not np.pronoun else []:
                self.note_excluded.setdefault(o.name.lower(), text)

    @property
    def scene(self) -> list[SceneObject]:
        return self.world.scene

    # -- entry points ----------------------------------------------------------------------------

    def exclude(self, exclusions: list[Exclusion]) -> None:
        for ex in exclusions:
            try:
                self.excluded.extend(self.grounder.ground(ex.np))
            except (Refusal, NeedQuestion):
                found = narrow(ex.np, self.scene) if not ex.np.pronoun else []
                self.excluded.extend(found)

    def run(self, commands: list[Command]) -> None:
        self.several = len(commands) > 1
        for i, cmd in enumerate(commands):
            handler = getattr(self, f"_do_{cmd.action}", None)
            if handler is None:
                raise Refusal("Sorry, I don't know how to do that.")
            later = commands[i + 1:]
            handler(cmd, later)

    # -- filtering and ordering ------------------------------------------------------------------

    def _allowed(self, objs: list[SceneObject], np: NounPhrase | None) -> list[SceneObject]:
        explicit = np is not None and not (np.plural or np.everything) and not np.pronoun
        out = []
        for o in objs:
            if o in self.excluded:
                if explicit and len(objs) == 1 and not any(o is e for e in self.excluded):
                    out.append(o)
                continue
            note = self.note_excluded.get(o.name.lower())
            if note:
                if explicit or (np is not None and np.parts and _names_explicitly(np, o)):
                    # Naming the object outright overrides the old note, which no longer holds.
                    if note not in self.forget:
                        self.forget.append(note)
                    out.append(o)
                else:
                    self.remarks.append(f"I'm leaving {the(o)} where it is, as you asked.")
                continue
            out.append(o)
        return out

    def _ordered(self, objs: list[SceneObject], np: NounPhrase | None) -> list[SceneObject]:
        if np is not None and np.parts:
            return objs  # the order the person said them in
        # Things that carry others go after what they carry; plates and bowls last.
        def key(o: SceneObject) -> tuple[int, int]:
            carries = 1 if self.world.objects_on(o) else 0
            return (carries, _LAST_KINDS.get(o.kind, 0) if len(objs) > 1 else 0)
        return sorted(objs, key=key)

    def _objects(self, np: NounPhrase | None, kind_hint: frozenset[str] = frozenset()) -> list[SceneObject]:
        if np is None:
            if self.referents.it:
                return self.referents.it[-1:]
            raise Refusal("I'm not sure which object you mean.")
        if kind_hint and not np.kinds and (np.one or np.colors) and not np.pronoun:
            np.kinds = kind_hint
        if self.several and _names_a_sort(np) and not self.grounder.ground_all(np):
            # "Rubbish in the bin, cups on the tray" with no rubbish about: that part has nothing
            # to do; the rest of the job still does.
            said = re.sub(r"^(?:all of the|all the|all|the|any|every|each)\s+", "", np.text)
            self.remarks.append(f"I don't see any {said}, so there was nothing to do for that.")
            return []
        objs = self.grounder.ground(np)
        if np.remaining:
            objs = self._not_yet_handled(objs)
        return self._first_said_first(self._ordered(self._allowed(objs, np), np), self.first)

    def _not_yet_handled(self, objs: list[SceneObject]) -> list[SceneObject]:
        """"The rest": what neither this plan nor an earlier request has moved or put things on."""
        handled = self.acted_on + self.targets
        return [o for o in objs if not any(o is h for h in handled) and not o.moved]

    # -- steps -----------------------------------------------------------------------------------

    def _emit(self, step: PlanStep) -> None:
        problem = self.catalogue.step_problem(step, self.scene)
        if problem:
            raise Refusal(problem)
        self.steps.append(step)
        self.world.apply(step)
        obj = self.world.get(str(step.args.get("object", "")))
        if obj is not None:
            self.referents.it = [obj]
            if obj not in self.acted_on:
                self.acted_on.append(obj)

    def place(self, obj: SceneObject, relation: str, target: SceneObject) -> None:
        relation = concrete_relation(relation, target)
        problem = placement_problem(obj, relation, target)
        if problem:
            raise Refusal(problem)
        if self.world.already_holds(obj, relation, target):
            # Said twice in one turn ("Sort the blocks. Each block goes into the bowl of the
            # same colour."): the plan already does it, which is no news to the person.
            if obj.name.lower() not in self.world.touched:
                self.remarks.append(f"{the(obj).capitalize()} is already {RELATION_WORDS[relation]} {the(target)}.")
            self.referents.it = [obj]
            if obj not in self.acted_on:
                self.acted_on.append(obj)  # dealt with, so not part of "the rest"
            return
        self._emit(PlanStep(skill="place", args={"object": obj.name, "relation": relation, "target": target.name},
                            instruction=place_instruction(obj, relation, target)))
        if target not in self.targets:
            self.targets.append(target)

    def put_back(self, obj: SceneObject) -> None:
        if self.world.at_start(obj):
            self.remarks.append(f"{the(obj).capitalize()} is already where it was.")
            return
        if is_fixed(obj):
            raise Refusal(f"I can't pick up {the(obj)}: it stays where it is.")
        self._emit(PlanStep(skill="put_back", args={"object": obj.name},
                            instruction=f"put {the(obj)} back where it was"))

    # -- actions ---------------------------------------------------------------------------------

    def _first_said_first(self, objs: list[SceneObject], first: NounPhrase | None) -> list[SceneObject]:
        """"..., starting with the yellow one": those objects lead, the rest keep their order."""
        if first is None or len(objs) < 2:
            return objs
        if not first.kinds and (first.one or first.colors):
            first.kinds = frozenset(o.kind for o in objs)
        lead = narrow(first, objs)
        return lead + [o for o in objs if o not in lead]

    def _do_place(self, cmd: Command, later: list[Command]) -> None:
        if cmd.target is None and cmd.obj is not None and later:
            # "Take all the blocks and put them in the basket": the first verb only picks them up.
            self._do_hold(cmd, later)
            return
        readings = [(cmd.obj, cmd.relation or "to", cmd.target)] + list(cmd.splits)
        self.first = cmd.first
        first_error: Refusal | NeedQuestion | None = None
        for obj_np, rel, tgt_np in readings:
            saved = (list(self.steps), list(self.remarks))
            try:
                self._place_reading(obj_np, rel, tgt_np)
                return
            except (Refusal, NeedQuestion) as e:
                # A reading that needs a question is asked about only when no other reading works
                # ("what is in the basket to the bin" is not "what is" to "the basket or the bin").
                self.steps, self.remarks = saved
                first_error = first_error or e
        assert first_error is not None
        raise first_error

    def _place_reading(self, obj_np: NounPhrase | None, rel: str, tgt_np: NounPhrase | None) -> None:
        if tgt_np is None:
            self._ask_where(obj_np)
            return
        if not (tgt_np.pronoun or tgt_np.same_color or tgt_np.parts) and not self.grounder.ground_all(tgt_np):
            self.grounder.ground(tgt_np)  # a destination that is not there is refused before any question
        objs = self._objects(obj_np)
        if tgt_np.pronoun == "there":
            last_rel, target = self._last_destination(objs)
            rel = last_rel if rel == "to" else rel
        elif tgt_np.same_color or (tgt_np.plural and len(objs) > 1 and not tgt_np.pronoun):
            self._into_same_color(objs, rel, tgt_np)
            return
        elif tgt_np.pronoun == "it" and obj_np is not None and obj_np.pronoun != "it":
            target = self._landmark_just_used() or self.grounder.ground_one(tgt_np)
        else:
            target = self._target(tgt_np, objs)
        for o in objs:
            if len(objs) > 1 and o is target:
                continue
            self.place(o, rel, target)

    def _ask_where(self, obj_np: NounPhrase | None) -> None:
        """A thing to move and no place for it ("Could you move the white block?"): where it goes
        is the person's choice, asked among the places that can take it, and an answer that
        names one closes it. Nothing that is not there is asked about: it is refused first."""
        if obj_np is None:
            raise Refusal("Where should it go?")
        objs = self._objects(obj_np)
        if not objs:
            return
        if len(objs) > 1 and any(holds_inside(o) or holds_on_top(o) for o in objs):
            # "Put the mug and the bowl": one of the things named can take the others, so the
            # place was probably said and misheard ("and" for "in"); not a question to ask.
            raise Refusal("Where should it go?")
        options: list[Destination] = [(concrete_relation("to", p), p) for p in self.scene
                                      if p not in objs and (holds_inside(p) or holds_on_top(p))]
        if not options:
            raise Refusal(f"I don't see anywhere to put {_names(objs)}.")
        places = listing([f"{RELATION_WORDS[r]} {the(t)}" for r, t in options], "or")
        rel, target = self.chooser.destination(options, self.scene, f"Where should I put {_names(objs)}: {places}?")
        for o in objs:
            self.place(o, rel, target)

    def _last_destination(self, objs: list[SceneObject]) -> tuple[str, SceneObject]:
        """"There": where the last placement of this plan (or of the request before) put things."""
        for step in [*reversed(self.steps), self.template]:
            if step is None or step.skill != "place":
                continue
            target = self.world.get(str(step.args.get("target", "")))
            if target is not None and target not in objs:
                return str(step.args.get("relation", "to")), target
        raise NeedQuestion(f"Where should I put {_names(objs)}?")

    def _landmark_just_used(self) -> SceneObject | None:
        """"The fork goes left of the plate and the mug to its right": after a placement beside
        something, "it" in the next destination is that same landmark, not the thing just moved."""
        last = self.steps[-1] if self.steps else None
        if last is None or last.skill != "place" or last.args.get("relation") not in ("left_of", "right_of", "near"):
            return None
        return self.world.get(str(last.args.get("target", "")))

    def _target(self, tgt_np: NounPhrase, objs: list[SceneObject]) -> SceneObject:
        found = self.grounder.ground(tgt_np, among=[o for o in self.scene if o not in objs or len(objs) == 1])
        if len(found) == 1:
            return found[0]
        return self.chooser.object(found, f"Which one, {', '.join(the(o) for o in found)}?")

    def _into_same_color(self, objs: list[SceneObject], rel: str, tgt_np: NounPhrase) -> None:
        kinds = tgt_np.kinds or frozenset(k for k in lx.CONTAINERS | lx.SURFACES if k != "block")
        for o in objs:
            matches = [c for c in self.scene if c.kind in kinds and c is not o and c.color and c.color == o.color
                       and (not tgt_np.colors or c.color in tgt_np.colors)]
            if not matches:
                self.remarks.append(f"There is no {o.color or ''} {'/'.join(sorted(kinds))} for {the(o)}, so I'm "
                                    f"leaving it.".replace("  ", " "))
                continue
            target = matches[0] if len(matches) == 1 else self.chooser.object(
                matches, f"Which one should {the(o)} go in: {' or '.join(the(m) for m in matches)}?")
            self.place(o, rel, target)

    def _do_dispose(self, cmd: Command, later: list[Command]) -> None:
        if cmd.target is not None:
            self._do_place(cmd, later)
            return
        objs = self._objects(cmd.obj)
        if not objs:
            return
        bin_ = self._disposal(objs)
        for o in objs:
            self.place(o, "in", bin_)

    def _disposal(self, objs: list[SceneObject]) -> SceneObject:
        for kind in ("bin", "basket"):
            found = [o for o in self.scene if o.kind == kind and o not in objs]
            if len(found) == 1:
                return found[0]
            if found:
                options: list[Destination] = [("in", o) for o in found]
                return self.chooser.destination(
                    options, self.scene, f"Which {kind}: {' or '.join(the(o) for o in found)}?")[1]
        raise Refusal(f"I don't see a bin to throw {_names(objs)} in.")

    def _do_put_away(self, cmd: Command, later: list[Command]) -> None:
        objs = self._objects(cmd.obj)
        self._put_away(objs)

    def _put_away(self, objs: list[SceneObject]) -> None:
        """Each object to where it belongs: a note's rule, a bin for trash, or the one place that fits;
        ask when several places fit equally."""
        plan: list[tuple[SceneObject, Destination]] = []
        open_choice: dict[tuple[str, ...], list[SceneObject]] = {}
        for o in objs:
            dest = self._rule_destination(o)
            if dest is not None:
                plan.append((o, dest))
                continue
            options = self._storage_options(o)
            if not options:
                raise Refusal(f"I don't see anywhere to put {the(o)} away.")
            if len(options) == 1:
                plan.append((o, options[0]))
                continue
            key = tuple(t.name for _, t in options)
            open_choice.setdefault(key, []).append(o)
            plan.append((o, ("?", options[0][1])))
        chosen: dict[tuple[str, ...], Destination] = {}
        for key, group in open_choice.items():
            options = self._storage_options(group[0])
            if any(self.world.inside.get(g.name.lower()) in key for g in group) and len(group) == 1:
                self.remarks.append(f"{the(group[0]).capitalize()} is already put away.")
                chosen[key] = ("skip", options[0][1])
                continue
            places = " or ".join(f"{RELATION_WORDS[r]} {the(t)}" for r, t in options)
            chosen[key] = self.chooser.destination(
                options, self.scene, f"Where should I put {_names(group)}: {places}?")
        for o, (rel, target) in plan:
            if rel == "?":
                key = tuple(t.name for _, t in self._storage_options(o))
                rel, target = chosen[key]
                if rel == "skip":
                    continue
            self.place(o, rel, target)

    def _rule_destination(self, obj: SceneObject) -> Destination | None:
        for rule in self.rules.destinations:
            if rule.subject.pronoun or obj not in narrow(rule.subject, [obj]):
                continue
            if rule.subject.everything is False and not (rule.subject.kinds or rule.subject.colors
                                                         or rule.subject.unknown or rule.subject.parts):
                continue
            targets = [t for t in narrow(rule.target, self.scene) if t is not obj]
            if rule.target.same_color:
                targets = [t for t in targets if t.color == obj.color]
            if len(targets) > 1:
                same = [t for t in targets if t.color and t.color == obj.color]
                targets = same if len(same) == 1 else targets
            if len(targets) == 1:
                return concrete_relation(rule.relation, targets[0]), targets[0]
        return None

    def _storage_options(self, obj: SceneObject) -> list[Destination]:
        if obj.kind in ("trash", "can"):
            bins = [o for o in self.scene if o.kind == "bin"]
            if bins:
                return [("in", b) for b in bins]
        places = [o for o in self.scene if is_fixed(o) and o.kind != "bin" and o is not obj
                  and (holds_inside(o) or holds_on_top(o))]
        if not places:
            places = [o for o in self.scene if o is not obj and o.kind in ("bowl", "plate") and not is_fixed(obj)
                      and o.kind != obj.kind]
        if not places:
            places = [o for o in self.scene if o.kind == "bin"]
        return [(concrete_relation("to", p), p) for p in places]

    def _do_clear(self, cmd: Command, later: list[Command]) -> None:
        target = None
        if cmd.target is not None:
            target = self.grounder.ground_one(cmd.target)
        if cmd.obj is not None and (cmd.obj.kinds or cmd.obj.name_words) and not cmd.obj.everything:
            self._empty(cmd, target)
            return
        objs = []
        for o in self.scene:
            if is_fixed(o) or o.kind in lx.CONTAINERS or o is target or o.held and False:
                continue
            holder = self.world.get(self.world.inside.get(o.name.lower()) or "")
            if holder is not None and (is_fixed(holder) or holds_inside(holder)):
                continue  # already put away
            objs.append(o)
        everything = NounPhrase(text="everything", everything=True, plural=True)
        objs = self._ordered(self._allowed(objs, everything), everything)
        if not objs:
            self.remarks.append("The table is already clear.")
            return
        if target is not None:
            for o in objs:
                self.place(o, cmd.relation or "to", target)
        else:
            self._put_away(objs)

    def _empty(self, cmd: Command, target: SceneObject | None) -> None:
        """"Empty the tray into the bin", "clear the basket": what rests in or on that holder."""
        holders = self.grounder.ground(cmd.obj)  # type: ignore[arg-type]
        if not all(holds_inside(h) or holds_on_top(h) for h in holders):
            raise Refusal(f"I can't empty {_names(holders)}: nothing is kept in it.")
        names = {h.name.lower() for h in holders}
        objs = [o for o in self.scene if self.world.inside.get(o.name.lower()) in names]
        objs = self._ordered(self._allowed(objs, NounPhrase(text="everything", everything=True, plural=True)), None)
        if not objs:
            self.remarks.append(f"{the(holders[0]).capitalize()} is already empty.")
            return
        if target is not None:
            for o in objs:
                self.place(o, cmd.relation or "to", target)
            return
        self._put_away(objs)

    def _do_sort(self, cmd: Command, later: list[Command]) -> None:
        if cmd.obj is not None:
            objs = self._objects(cmd.obj)
        else:
            objs = [o for o in self.scene if not is_fixed(o) and o.kind not in lx.CONTAINERS and o.color
                    and any(c.color == o.color and c is not o and holds_inside(c) for c in self.scene)]
            objs = self._allowed(objs, NounPhrase(text="everything", everything=True, plural=True))
        target = cmd.target or NounPhrase(text="containers", kinds=frozenset(lx.CONTAINERS), plural=True)
        target.same_color = True
        if not objs:
            raise Refusal("I don't see anything to sort.")
        self._into_same_color(objs, cmd.relation or "in", target)

    def _do_tower(self, cmd: Command, later: list[Command]) -> None:
        items: list[SceneObject] = []
        for np in cmd.tower:
            obj = self.grounder.ground_one(np)
            if obj in items:
                raise Refusal(f"{the(obj).capitalize()} can only be in the tower once.")
            items.append(obj)
        for below, above in zip(items, items[1:]):
            self.place(above, "on", below)

    def _do_put_back(self, cmd: Command, later: list[Command]) -> None:
        if not self.catalogue.has("put_back"):
            raise Refusal("I don't have a skill to put things back.")
        for o in self._objects(cmd.obj):
            self.put_back(o)

    def _do_undo(self, cmd: Command, later: list[Command]) -> None:
        objs = self.last_request_objects
        if not objs:
            self.remarks.append("There is nothing to undo.")
            return
        for o in reversed(objs):
            self.put_back(o)

    def _do_refuse(self, cmd: Command, later: list[Command]) -> None:
        raise Refusal("I can't hand things to people or throw them at anyone: I can only move things "
                      "to places on the table.")

    def _do_home(self, cmd: Command, later: list[Command]) -> None:
        self._emit(PlanStep(skill="home", args={}, instruction="go back to the home position"))

    def _do_hold(self, cmd: Command, later: list[Command]) -> None:
        objs = self._objects(cmd.obj)
        fixed = [o for o in objs if is_fixed(o)]
        if fixed:
            raise Refusal(f"I can't pick up {_names(fixed)}: it stays where it is.")
        self.referents.it = objs[-1:]
        self.referents.them = objs
        nxt = later[0].obj if later else None
        if nxt is not None and nxt.pronoun == "it" and len(objs) > 1:
            # "Grab every block and put it in the basket": "it" is each of them in turn.
            nxt.pronoun, nxt.plural = "them", True
        if not later:
            raise NeedQuestion(f"Where should I put {_names(objs)}?")

    def _do_redirect(self, cmd: Command, later: list[Command]) -> None:
        self._place_reading(None, cmd.relation or "to", cmd.target)

    def _do_repeat(self, cmd: Command, later: list[Command]) -> None:
        # "Put the trash in the bin, and the cups too": the step just planned is the one repeated.
        template = self.steps[-1] if self.steps else self.template
        hint = frozenset()
        if template is not None:
            old = self.world.get(str(template.args.get("object", "")))
            hint = frozenset({old.kind}) if old is not None else frozenset()
        objs = self._objects(cmd.obj, hint)
        if template is None:
            raise NeedQuestion(f"What should I do with {_names(objs)}?")
        self.repeat_with(template, objs)

    def repeat_with(self, template: PlanStep, objs: list[SceneObject]) -> None:
        for o in objs:
            if template.skill == "place":
                target = self.world.get(str(template.args.get("target", "")))
                if target is None:
                    raise Refusal("I can't see where that went any more.")
                self.place(o, str(template.args.get("relation", "to")), target)
            elif template.skill == "put_back":
                self.put_back(o)
            else:
                args = dict(template.args)
                if "object" in args:
                    args["object"] = o.name
                self._emit(PlanStep(skill=template.skill, args=args,
                                    instruction=template.instruction.replace(str(template.args.get("object")),
                                                                             o.name)))

    def _do_skill(self, cmd: Command, later: list[Command]) -> None:
        """A plugin skill: its object from the noun phrase, enum values named in the words, the rest
        left to the skill's defaults; a missing required value is asked for."""
        name = cmd.skill or ""
        props, required = self.catalogue.properties(name)
        text = " " + cmd.rest + " "
        args: dict[str, object] = {}
        for key, spec in props.items():
            enum = spec.get("enum")
            if not enum:
                continue
            said = _find_value(text, [str(v) for v in enum])
            if said is not None:
                value, phrase = said
                args[key] = value
                i = find_phrase(text, phrase)
                text = text[:i] + " " + text[i + len(phrase):]
        for key, spec in props.items():
            if key in args or spec.get("enum"):
                continue
            if spec.get("type") in ("number", "integer"):
                m = re.search(r"\b(\d+(?:\.\d+)?)\s*(cm|centimeters|centimetres|mm|m|meters|metres)?\b", text)
                if m:
                    value = float(m.group(1))
                    unit = m.group(2) or ""
                    if unit.startswith("c") and _in_metres(key, spec):
                        value /= 100
                    if unit.startswith("mm") and _in_metres(key, spec):
                        value /= 1000
                    args[key] = int(value) if spec.get("type") == "integer" else value
                    text = text[: m.start()] + " " + text[m.end():]
        target_np = None
        if "target" in props:
            from agent.planners.rules.parse import _relation_splits
            splits = _relation_splits(text.strip(), allow_empty_object=True)
            if splits:
                obj_np, rel, target_np = splits[0]
                text = obj_np.text if obj_np is not None else ""
                if "relation" in props and "relation" not in args:
                    args["relation"] = rel
        objs: list[SceneObject] = [SceneObject(name="", kind="", pos=(0, 0, 0))]
        if "object" in props or "objects" in props:
            np = parse_np(text.strip()) if text.strip() else None
            if np is not None and np.is_empty:
                np = None
            if np is None and ("object" in required or "objects" in required):
                if not self.referents.it:
                    raise NeedQuestion(f"Which object should I {name.replace('_', ' ')}?")
            objs = self._objects(np)
        if target_np is not None:
            args["target"] = self.grounder.ground_one(target_np).name
        for key, spec in props.items():
            if key in args or key in ("object", "objects") or key not in required:
                continue
            enum = spec.get("enum")
            if enum:
                what = objs[0].name if objs and objs[0].name else ""
                args[key] = self.chooser.value(
                    [str(v) for v in enum], VALUE_SYNONYMS,
                    f"Which {key.replace('_', ' ')} should I {name.replace('_', ' ')}"
                    f"{' the ' + what if what else ''}: {', '.join(map(str, enum[:-1]))} or {enum[-1]}?")
            else:
                raise NeedQuestion(f"What {key.replace('_', ' ')} should I use to {name.replace('_', ' ')}?")
        if "objects" in props:
            self._emit(PlanStep(skill=name, args={**args, "objects": [o.name for o in objs]},
                                instruction=_skill_instruction(name, objs, args)))
            return
        for o in objs:
            step_args = {**args, "object": o.name} if "object" in props else dict(args)
            if "object" in props and "target" in step_args and step_args["target"] == o.name:
                raise Refusal(f"I can't {name} {the(o)} relative to itself.")
            self._emit(PlanStep(skill=name, args=step_args, instruction=_skill_instruction(name, [o] if o.name else [],
                                                                                          args)))


def _in_metres(key: str, spec: dict) -> bool:
    desc = (spec.get("description") or "").lower()
    return "metre" in desc or "meter" in desc or key.endswith("_m") or " m" in desc


def _find_value(text: str, values: list[str]) -> tuple[str, str] | None:
    """(enum value, phrase said) for the one value the words name."""
    hits: list[tuple[int, str, str]] = []
    for v in values:
        for phrase in sorted({v.lower(), v.lower().replace("_", " "), *VALUE_SYNONYMS.get(v.lower(), [])},
                             key=len, reverse=True):
            i = find_phrase(text, phrase)
            if i >= 0:
                hits.append((i, v, phrase))
                break
    if not hits:
        return None
    hits.sort()
    return hits[-1][1], hits[-1][2]  # the last named value: "push the left block right" -> right


def _skill_instruction(name: str, objs: list[SceneObject], args: dict) -> str:
    extra = " ".join(str(v) for k, v in args.items() if k not in ("object", "objects", "target"))
    what = " and ".join(the(o) for o in objs)
    tgt = f" towards the {args['target']}" if "target" in args else ""
    return re.sub(r"\s+", " ", f"{name.replace('_', ' ')} {what} {extra}{tgt}").strip()


def _names(objs: list[SceneObject]) -> str:
    return listing([the(o) for o in objs]) or "it"


def _names_a_sort(np: NounPhrase) -> bool:
    """"cups", "the rubbish", "any dishes": a sort of thing, which may be absent, rather than
    particular objects ("the red cup", "both cans", "the purple blocks"), which must be there."""
    return (np.plural and np.count is None and not np.parts and not np.pronoun and not np.exceptions
            and not np.colors and not np.unknown and bool(np.kinds))


def _names_explicitly(np: NounPhrase, obj: SceneObject) -> bool:
    return any(not p.plural and not p.everything and obj in narrow(p, [obj]) for p in np.parts)


__all__ = ["PlanBuilder", "describe_step", "place_instruction", "words"]
