"""The JSON schema a served model is constrained to (OpenAI `response_format`).

Starting from PlannerTurn's own schema, two changes make constrained decoding do more work:
- every top-level field is required, so the model writes them in schema order and the
  question / refusal / control fields are known before the first step streams out;
- with `per_skill`, a step is one of the catalogue's skills with that skill's own argument
  schema, so the decoder cannot produce an unknown skill or a malformed argument at all.
  Object names stay free strings: grounding them is checked after decoding, and a request for
  an object that is not there must stay expressible (as a refusal).
The catalogue is the same for every turn, so the server compiles this grammar once and reuses it.
"""

from __future__ import annotations

import copy
from typing import Any

from agent.schema import PlannerTurn, SkillInfo

SCHEMA_NAME = "planner_turn"


def _step_variant(skill: SkillInfo) -> dict[str, Any]:
    args = copy.deepcopy(skill.args)
    if "$defs" in args or "definitions" in args:
        # Nested definitions would need their $refs rewritten to live under the turn's $defs;
        # such skills get a free-form object and are checked after decoding instead.
        args = {"type": "object"}
    return {
        "type": "object",
        "properties": {
            "skill": {"type": "string", "enum": [skill.name]},
            "args": args,
            "instruction": {"type": "string"},
        },
        "required": ["skill", "args", "instruction"],
        "additionalProperties": False,
    }


def _strict(schema: Any) -> Any:
    """OpenAI's strict mode: every property required, no defaults, no extra properties."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items() if k != "default"}
    if out.get("type") == "object" and "properties" in out:
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out


def one_kind_of_turn(schema: dict[str, Any]) -> dict[str, Any]:
    """The turn as exactly one of: a plan, a question, a refusal, a control command. A small
    model constrained by the plain schema filled every field it could (a question and a
    refusal and "pause", with the arm idle) on a third of its turns; with these alternatives
    the decoder cannot write such a turn at all. Every field stays required and in order."""
    props = schema["properties"]
    none_of_these = {"question": {"type": "null"}, "refused": {"const": False}, "control": {"const": "none"}}
    no_steps = {"const": []}  # llama.cpp's converter ignores maxItems: 0

    def variant(**fields: Any) -> dict[str, Any]:
        return {"type": "object", "properties": {**props, **fields}, "required": list(props),
                "additionalProperties": False}

    kinds = [
        variant(**none_of_these),  # a plan (its steps may be empty: a note, a forget)
        variant(**{**none_of_these, "question": {"type": "string"}}, preempt={"const": False}, steps=no_steps),
        variant(**{**none_of_these, "refused": {"const": True}}, preempt={"const": False}, steps=no_steps),
        variant(**{**none_of_these, "control": {"enum": ["pause", "resume", "stop"]}}, steps=no_steps),
    ]
    return {"$defs": schema["$defs"], "title": schema.get("title", "PlannerTurn"), "anyOf": kinds}


def question_only_schema() -> dict[str, Any]:
    """A turn that can only ask (the compact form): for a re-ask after the checks found that a
    plan acted on a guess."""
    return {"type": "object", "properties": {"say": {"type": "string"}, "question": {"type": "string"}},
            "required": ["say", "question"], "additionalProperties": False}


def compact_turn_schema(skills: list[SkillInfo]) -> dict[str, Any]:
    """The turn as a small local model writes it: one kind of turn (as `one_kind_of_turn`), each
    with only the fields that kind needs, fields that keep their default left out, and steps
    without an instruction (written afterwards from the step, `agent.planners.instructions`).
    A two-step plan is about 80 tokens instead of 140: at ~25 tokens/s on two CPU cores that is
    most of a turn's time. The answer still validates as a PlannerTurn."""
    full = PlannerTurn.model_json_schema()
    props, defs = full["properties"], full["$defs"]
    step_variants = []
    for s in skills:
        v = _step_variant(s)
        del v["properties"]["instruction"]
        v["required"] = ["skill", "args"]
        step_variants.append(v)
    defs = {**defs, "PlanStep": {"anyOf": step_variants} if step_variants else defs["PlanStep"]}

    def variant(fields: dict[str, Any], required: list[str]) -> dict[str, Any]:
        return {"type": "object", "properties": fields, "required": required, "additionalProperties": False}

    say = {"type": "string"}
    kinds = [
        variant({"say": say, "notes": props["notes"], "forget": props["forget"], "preempt": {"type": "boolean"},
                 "steps": props["steps"]}, ["say"]),
        variant({"say": say, "question": {"type": "string"}}, ["say", "question"]),
        variant({"say": say, "refused": {"const": True}}, ["say", "refused"]),
        variant({"say": say, "control": {"enum": ["pause", "resume", "stop"]}}, ["say", "control"]),
    ]
    return {"$defs": defs, "title": "PlannerTurn", "anyOf": kinds}


def compact_turn(turn: dict[str, Any]) -> dict[str, Any]:
    """A worked example's turn written the compact way (`compact_turn_schema`)."""
    t = PlannerTurn.model_validate(turn).model_dump(mode="json", exclude_defaults=True)
    t.setdefault("say", "")
    for st in t.get("steps", []):
        st.pop("instruction", None)
        st.setdefault("args", {})
    for kind in ("question", "refused", "control"):
        if t.get(kind):
            return {"say": t["say"], kind: t[kind]}
    return {k: t[k] for k in ("say", "question", "refused", "control", "notes", "forget", "preempt", "steps") if k in t}


def turn_schema(skills: list[SkillInfo], per_skill: bool = True, strict: bool = False,
                one_kind: bool = True) -> dict[str, Any]:
    """`one_kind`: see `one_kind_of_turn` (not with `strict`: OpenAI's strict mode needs an
    object at the root)."""
    schema = PlannerTurn.model_json_schema()
    schema["required"] = list(schema["properties"])
    if per_skill and skills:
        schema["$defs"]["PlanStep"] = {"anyOf": [_step_variant(s) for s in skills]}
    if strict:
        return _strict(schema)
    return one_kind_of_turn(schema) if one_kind else schema


def response_format(schema: dict[str, Any], strict: bool = False) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": schema, "strict": strict}}


def response_format_for(mode: str, schema: dict[str, Any], strict: bool = False) -> dict[str, Any] | None:
    """The request's `response_format` for a structured-output mode: OpenAI's and vLLM's
    json_schema; llama.cpp's json_object with a "schema" (it compiles it to a grammar); or
    none, when the server takes neither and the answer is only checked after decoding."""
    if mode == "json_schema":
        return response_format(schema, strict=strict)
    if mode == "json_object":
        return {"type": "json_object", "schema": schema}
    return None
