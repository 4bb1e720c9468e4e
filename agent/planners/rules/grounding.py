"""Noun phrases -> scene objects.

A phrase that fits nothing is refused ("I can't see a banana on the table."); a singular
definite phrase that fits several objects is a choice for the person (asked through the
Chooser); plurals and quantifiers take every fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.planners.rules import lexicon as lx
from agent.planners.rules.choices import Chooser, _by_side, narrow
from agent.planners.rules.outcomes import NeedQuestion, Refusal
from agent.planners.rules.phrases import NounPhrase, plural_word
from agent.planners.rules.text import listing
from agent.planners.rules.world import PlanWorld, is_fixed, the
from agent.schema import SceneObject


_BESIDE_M = 0.2  # "the blocks next to the bowl": within this distance of it
_SAME_DISTANCE_M = 0.03  # nearer by less than this is not nearer


@dataclass
class Referents:
    """What pronouns point at: "it" (the object last acted on) and "them" (the last request's objects)."""

    it: list[SceneObject] = field(default_factory=list)
    them: list[SceneObject] = field(default_factory=list)


@dataclass
class Grounder:
    world: PlanWorld
    chooser: Chooser
    referents: Referents = field(default_factory=Referents)

    @property
    def scene(self) -> list[SceneObject]:
        return self.world.scene

    def ground(self, np: NounPhrase, *, among: list[SceneObject] | None = None) -> list[SceneObject]:
        """The objects the phrase means (one for a singular phrase). Raises Refusal or NeedQuestion."""
        if np.parts:
            out: list[SceneObject] = []
            for part in np.parts:
                for o in self.ground(part, among=among):
                    if o not in out:
                        out.append(o)
            return self._apply_exceptions(np, out)
        if np.pronoun == "it":
            if not self.referents.it:
                return [self._which_is_it()]
            return list(self.referents.it[-1:])
        if np.pronoun == "them":
            found = self.referents.them or self.referents.it
            if not found:
                raise Refusal("I'm not sure which objects you mean. Please name them.")
            return list(found)
        if np.pronoun == "other":
            return self._other(np)
        candidates = self._candidates(np, among)
        candidates = self._apply_exceptions(np, candidates)
        return self._select(np, candidates)

    def _which_is_it(self) -> SceneObject:
        """"Put that in the bin" with nothing said or done before that it could be: which thing
        is meant is the person's to say, asked among the things that can be moved."""
        movable = [o for o in self.scene if not is_fixed(o)]
        if not movable:
            raise Refusal("I'm not sure what you mean by 'it'. Please name the object.")
        return self.chooser.object(movable, f"Which one do you mean: {_options_list(movable, or_=True)}?")

    def ground_one(self, np: NounPhrase) -> SceneObject:
        found = self.ground(np)
        if len(found) != 1:
            raise NeedQuestion(f"Which one do you mean: {_options_list(found)}?")
        return found[0]

    # -- pieces ----------------------------------------------------------------------------------

    def _candidates(self, np: NounPhrase, among: list[SceneObject] | None) -> list[SceneObject]:
        pool = list(among if among is not None else self.scene)
        named = [o for o in pool if np.name_words and " ".join(np.name_words) == o.name.lower()]
        if named and not np.plural and np.location is None:
            return named
        if np.everything and not np.kinds:
            found = [o for o in pool if not is_fixed(o) and o.kind not in lx.CONTAINERS]
        elif np.kinds:
            found = [o for o in pool if o.kind in np.kinds]
        elif np.unknown:
            found = [o for o in pool if all(w in o.name.lower().split() for w in np.unknown)]
        elif np.colors or np.side or np.one:
            found = [o for o in pool if not is_fixed(o)] if np.colors or np.one else list(pool)
        else:
            found = []
        if np.colors:
            found = [o for o in found if (o.color or "") in np.colors]
        if np.location is not None:
            holders = narrow(np.location, self.scene) if not np.location.pronoun else self.referents.it
            holder_names = {h.name.lower() for h in holders}
            found = [o for o in found if self.world.inside.get(o.name.lower()) in holder_names]
        if not found:
            raise Refusal(f"I can't see {np.describe()} on the table.")
        if np.landmark is not None:
            found = self._by_landmark(np, found)
        return found

    def _by_landmark(self, np: NounPhrase, found: list[SceneObject]) -> list[SceneObject]:
        """"The block next to the bowl": the one nearest to the landmark (farthest, for "furthest
        from"); for a plural, those beside it. Two that are as near as each other stay a choice."""
        assert np.landmark is not None
        marks = [m for m in self.ground_all(np.landmark) if m not in found]
        if not marks:
            raise Refusal(f"I can't see {np.landmark.describe()} on the table.")

        def dist(o: SceneObject) -> float:
            return min(((o.pos[0] - m.pos[0]) ** 2 + (o.pos[1] - m.pos[1]) ** 2) ** 0.5 for m in marks)

        ranked = sorted(found, key=dist, reverse=np.far_from_landmark)
        if np.plural:
            beside = [o for o in ranked if dist(o) < _BESIDE_M]
            return beside or ranked[:1]
        if len(ranked) > 1 and abs(dist(ranked[0]) - dist(ranked[1])) < _SAME_DISTANCE_M:
            return ranked
        return ranked[:1]

    def ground_all(self, np: NounPhrase) -> list[SceneObject]:
        """Every object the phrase could mean, without asking which."""
        try:
            return self._candidates(np, None)
        except Refusal:
            return []

    def _apply_exceptions(self, np: NounPhrase, found: list[SceneObject]) -> list[SceneObject]:
        for ex in np.exceptions:
            if ex.pronoun:
                excluded = self.ground(ex)
            else:
                excluded = narrow(ex, found) if _says_anything(ex) else []
                if not excluded:
                    # An exception naming something that is not there is still a mistake to point out.
                    excluded = [o for o in self.scene if o in narrow(ex, self.scene)] if _says_anything(ex) else []
                    if not excluded:
                        raise Refusal(f"I can't see {ex.describe()} on the table.")
            found = [o for o in found if o not in excluded]
        return found

    def _select(self, np: NounPhrase, found: list[SceneObject]) -> list[SceneObject]:
        if np.plural or np.everything:
            if np.side and len(found) > 1 and np.count is None:
                return found
            if np.count is not None and len(found) != np.count:
                if len(found) < np.count:
                    raise Refusal(f"I can only see {len(found)} {_noun(np, len(found))}, not {np.count}.")
                return self.chooser.objects(
                    found, np.count,
                    f"There are {len(found)} {_noun(np, 2)}: {_options_list(found)}. Which {np.count} do you mean?")
            return found
        if np.side and np.ordinal:
            picked = _by_side(np.side, found, np.ordinal)
            if picked is None:
                raise Refusal(f"I can only see {len(found)} {_noun(np, len(found), found)}.")
            return [picked]
        if len(found) == 1:
            return found
        if np.side:
            return [_by_side(np.side, found)]  # type: ignore[list-item]
        if np.indefinite:
            return found[:1]
        noun = _noun(np, 1, found)
        return self.chooser.one_or_all(found, f"Which {noun}, {_options_list(found, or_=True)}?")

    def _other(self, np: NounPhrase) -> list[SceneObject]:
        last = self.referents.it[-1:] or self.referents.them[-1:]
        kinds = np.kinds or frozenset(o.kind for o in last)
        if not kinds:
            raise Refusal("I'm not sure which other one you mean.")
        pool = [o for o in self.scene if o.kind in kinds and o not in last and o not in self.referents.them]
        if not pool:
            pool = [o for o in self.scene if o.kind in kinds and o not in last]
        if not pool:
            raise Refusal(f"I can't see another {next(iter(kinds))} on the table.")
        if np.plural or len(pool) == 1:
            return pool
        return [self.chooser.object(pool, f"Which {next(iter(kinds))}, {_options_list(pool, or_=True)}?")]


def _says_anything(np: NounPhrase) -> bool:
    return bool(np.kinds or np.colors or np.unknown or np.name_words or np.side or np.parts)


def _noun(np: NounPhrase, n: int, found: list[SceneObject] | None = None) -> str:
    kinds = sorted(np.kinds) if np.kinds else sorted({o.kind for o in (found or [])})
    word = kinds[0] if len(kinds) == 1 else "one" if n == 1 else "objects"
    if n != 1 and len(kinds) == 1:
        word = plural_word(word)
    return word


def distinguishing_names(objs: list[SceneObject]) -> list[str]:
    """Short names that tell these objects apart: "the red one", "the one on the left", or full names."""
    kinds = {o.kind for o in objs}
    colors = [o.color for o in objs]
    if len(kinds) == 1 and all(colors) and len(set(colors)) == len(colors):
        return [f"the {c} one" for c in colors]
    if len(kinds) == 1 and len(objs) == 2:
        left = max(objs, key=lambda o: o.pos[1])
        if abs(objs[0].pos[1] - objs[1].pos[1]) > 0.05:
            return ["the one on the left" if o is left else "the one on the right" for o in objs]
    return [the(o) for o in objs]


def _options_list(objs: list[SceneObject], or_: bool = False) -> str:
    return listing(distinguishing_names(objs), "or" if or_ else "and")
