"""Turning a PlannerInput into chat messages for a vision-language model.

The order is chosen for prefix caching: the system prompt (role, rules, skill catalogue,
worked examples) depends only on the catalogue and the prompt version, so it is identical for
every turn of every robot that shares a catalogue, and a server with prefix caching (vLLM)
computes it once. Everything that changes per turn (notes, scene, progress, dialogue, the
utterance, camera frames) comes after it, in the last user message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import prompts
from agent.schema import DialogueTurn, PlannerInput, PlannerTurn, PlanStep, SceneObject, SkillInfo
from sim.scenario import CONTAINERS, SURFACES

# Objects within this many metres of the robot's centre line are not called left or right.
_SIDE_DEADBAND_M = 0.08


def relation_for(kind: str) -> str | None:
    """The relation an object of `kind` takes as a target, from the one knowledge module the
    simulator and the rules parser read too: "in" a container, "on" a surface."""
    if kind in CONTAINERS:
        return "in"
    if kind in SURFACES:
        return "on"
    return None


def kinds_rule() -> str:
    """The prompt's rule about containers and surfaces, written from the knowledge module."""
    containers = ", ".join(sorted(CONTAINERS))
    surfaces = ", ".join(sorted(SURFACES))
    return (f'Containers ({containers}) take relation "in"; surfaces ({surfaces}) take "on" (stacking on a '
            f'block is "on")')


def step_text(step: PlanStep) -> str:
    return f"{step.skill} {json.dumps(step.args, ensure_ascii=False)}"


def object_line(o: SceneObject) -> str:
    """One object as the model reads it: name, what it is, where, and what can be done with it."""
    what = f"{o.color} {o.kind}" if o.color else o.kind
    x, y, z = o.pos
    parts = [f"{o.name}: {what} at ({x:.2f}, {y:.2f}, {z:.2f})"]
    if y > _SIDE_DEADBAND_M:
        parts.append("left side")
    elif y < -_SIDE_DEADBAND_M:
        parts.append("right side")
    if o.held:
        parts.append("held")
    elif o.graspable:
        parts.append("graspable")
    relation = relation_for(o.kind)
    if relation == "in":
        parts.append("container: things go in it")
    elif relation == "on":
        parts.append("surface: things go on it")
    if not o.graspable and not o.held:
        parts.append("cannot be lifted")
    if o.inside:
        parts.append(f"in {o.inside}")
    if o.moved:
        parts.append("moved")
    return ", ".join(parts)


def dialogue_line(d: DialogueTurn) -> str:
    if d.kind == "cue":
        return f"[robot noticed] {d.text}"
    who = "person" if d.role == "user" else "robot"
    tag = f" ({d.kind})" if d.kind in ("question", "answer") else ""
    return f"{who}{tag}: {d.text}"


def catalogue(inp: PlannerInput, fallback: list[SkillInfo]) -> list[SkillInfo]:
    """The skills the model is told about: the input's catalogue, else the planner's own."""
    return list(inp.skills) if inp.skills else list(fallback)


def _without_titles(schema: Any) -> Any:
    """Pydantic's "title" keys repeat the property names; dropping them saves prompt tokens."""
    if isinstance(schema, dict):
        return {k: _without_titles(v) for k, v in schema.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(schema, list):
        return [_without_titles(v) for v in schema]
    return schema


def example_object(spec: dict[str, Any]) -> SceneObject:
    """An example's object as perception would report it (graspable from the knowledge module)."""
    from sim.kinds import KINDS

    info = KINDS.get(spec["kind"])
    return SceneObject(graspable=info.graspable if info is not None else True, **spec)


def render_examples(compact: bool = False) -> list[dict[str, Any]]:
    """The worked examples with their scene objects written exactly as a turn's scene is.
    `compact`: turns as `turn_schema.compact_turn_schema` has them written."""
    from agent.planners.turn_schema import compact_turn

    out = []
    for ex in prompts.examples():
        ctx = [f"- {object_line(example_object(c['object']))}" if isinstance(c, dict) else c for c in ex["context"]]
        # Every field, in schema order: a model shown only the fields that matter fills the
        # others with something (a question "just in case", a refusal) when it must write them.
        # The compact form has no such fields to fill: each kind of turn has only its own.
        turn = compact_turn(ex["turn"]) if compact else PlannerTurn.model_validate(ex["turn"]).model_dump(mode="json")
        out.append({**ex, "context": ctx, "turn": turn})
    return out


def system_prompt(skills: list[SkillInfo], compact: bool = False) -> str:
    """`compact`: the answer format of `turn_schema.compact_turn_schema` (the local model's)."""
    listed = [{"name": s.name, "description": s.description, "args": _without_titles(s.args)} for s in skills]
    return prompts.render("system", skills=listed, examples=render_examples(compact), kinds_rule=kinds_rule(),
                          compact=compact)


def turn_prompt(inp: PlannerInput, cameras: list[str]) -> str:
    utterance = inp.utterance
    return prompts.render(
        "turn",
        notes=[n.model_dump() for n in inp.notes],
        scene=[{"line": object_line(o)} for o in inp.scene],
        done=[{"step": step_text(r.step), "status": r.status, "reason": r.reason} for r in inp.done],
        running=step_text(inp.running) if inp.running else "",
        pending=[step_text(p) for p in inp.pending],
        dialogue=[dialogue_line(d) for d in inp.dialogue],
        pending_question=inp.pending_question or "",
        cameras=cameras,
        utterance=utterance,
    )


@dataclass(frozen=True)
class Prompt:
    """A rendered prompt: the stable system text, the per-turn text and the camera frames."""

    system: str
    turn: str
    images: list[tuple[str, str]] = field(default_factory=list)  # (camera name, JPEG data URL)

    @property
    def stable_chars(self) -> int:
        return len(self.system)

    @property
    def total_chars(self) -> int:
        return len(self.system) + len(self.turn)

    def openai_messages(self) -> list[dict[str, Any]]:
        """OpenAI chat format; frames become image_url parts after the text."""
        if self.images:
            content: Any = [{"type": "text", "text": self.turn}] + [
                {"type": "image_url", "image_url": {"url": url}} for _, url in self.images
            ]
        else:
            content = self.turn
        return [{"role": "system", "content": self.system}, {"role": "user", "content": content}]


def build_prompt(inp: PlannerInput, skills: list[SkillInfo], with_images: bool, system: str | None = None) -> Prompt:
    """Render the prompt for one turn. Pass `system` to reuse an already rendered system prompt."""
    images = sorted(inp.images.items()) if with_images else []
    return Prompt(
        system=system if system is not None else system_prompt(skills),
        turn=turn_prompt(inp, [name for name, _ in images]),
        images=images,
    )


def rejection_message(problems: list[str], already_dispatched: list[PlanStep]) -> str:
    """The user message that re-asks after a rejected answer."""
    lines = ["Your answer was rejected:"] + [f"- {p}" for p in problems]
    if already_dispatched:
        lines.append("These steps were already accepted and have started; begin \"steps\" with them unchanged:")
        lines += [f"{i}. {step_text(s)}" for i, s in enumerate(already_dispatched, start=1)]
    lines.append("Answer again with one corrected JSON object. Use only skills and object names that exist; "
                 "ask or refuse if you cannot ground the request.")
    return "\n".join(lines)
