"""`policy`: any chunking policy (learned, remote, a LeRobot checkpoint) run as a hirobot skill.

Each tick the skill plays one target from the `ChunkStreamer` (prefetch, seam blending, hold
on a late answer) and checks the step's success predicate; it ends when the predicate has
held for a few ticks (the object has settled), when the policy says it is done, or at the
time limit.

Before the arm moves, the policy is checked against the robot: every camera and state value
its inputs declare, and the number of action values it returns (a LeRobot checkpoint's input
features, an openpi key map); a mismatch refuses the step with the list. Policies that look
at a history of observations get every tick's observation.

A robot without object perception (a LeRobot arm) cannot check `relation(object, target)`:
then, as for a step with no success condition at all, the step runs until the policy says it
is done or for `max_seconds`, and its outcome (a success with `checked=False`) says that
nothing was checked and why.

Run-time knobs in `ctx.extras` (all optional):
    "policies":           {name: Policy}   instances to use instead of loading by name
    "policy_catalog":     PolicyCatalog    the configured policies (see catalog.py)
    "success_check":      callable(expr, obs) -> bool   e.g. a perception model's check
    "policy_blocking":    bool   wait for late answers (lockstep clocks); default False
    "policy_blend_ticks": int    cross-fade length at the seams; default 4 (0: no blending)
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar

from skills.api import Observation, Outcome, Skill, SkillContext, SkillFailure, SkillRun
from skills.policies.args import PolicyArgs
from skills.policies.base import PolicyError, action_from_row, observation_dict, state_vector
from skills.policies.catalog import PolicyCatalog
from skills.policies.chunking import ChunkStreamer
from skills.policies.registry import resolve_policy

SETTLE_TICKS = 5  # the predicate must hold this many ticks in a row: a dropped object has come to rest


def sim_check(expr: str, obs: Observation) -> bool:
    """The default success check: the task predicates on the observed object poses."""
    from sim.predicates import WorldState, check  # the simulator's geometry; a real robot passes its own

    return bool(check(expr, WorldState(objects=obs.objects)))


class PolicySkill(Skill):
    name = "policy"
    description = (
        "Run a learned language-conditioned policy (a vision-language-action model, local or on a policy "
        "server) on the step's instruction, e.g. 'put the red cup in the bin'. Ends when the object is where "
        "it was asked to go (relation(object, target)), or fails at the time limit. Prefer the scripted "
        "skills when they fit; use this for what they cannot do or when asked to use a policy."
    )
    Args = PolicyArgs
    rate_hz = 20.0
    time_limit_s = 300.0  # the step's own limit is args.max_seconds

    catalog: ClassVar[PolicyCatalog | None] = None  # set by `configured`

    @classmethod
    def configured(cls, catalog: PolicyCatalog) -> type["PolicySkill"]:
        """This skill limited to the catalogue's policy names (what a session registers)."""
        return type(cls.__name__, (cls,), {"Args": PolicyArgs.for_names(catalog.names()), "catalog": catalog,
                                           "__module__": cls.__module__})

    def run(self, args: PolicyArgs, ctx: SkillContext) -> SkillRun:
        extras = ctx.extras if self.catalog is None else {"policy_catalog": self.catalog, **ctx.extras}
        try:
            policy = resolve_policy(args.policy, extras)
            meta = policy.metadata  # a remote policy connects here
        except PolicyError as e:
            raise SkillFailure(str(e)) from None
        instruction = ctx.instruction or args.instruction or args.default_instruction()
        expr = args.predicate()
        custom_check = ctx.extras.get("success_check")
        check: Callable[[str, Observation], bool] = custom_check or sim_check
        n_joints = len(ctx.robot.joint_names)
        obs = ctx.first_observation
        unchecked = ""
        if expr is None:
            unchecked = (f"no success condition to check; the step ends when the policy says done or after "
                         f"{args.max_seconds:g} s")
        elif not obs.objects and custom_check is None:
            unchecked = (f"{expr} is not checked: this robot reports no object poses (it has no object "
                         "perception); the step ends when the policy says done or after "
                         f"{args.max_seconds:g} s")
            expr = None
        for name in (args.object, args.target):
            if name and obs.objects:
                ctx.find(obs, name)  # a missing object fails before the arm moves
        built: list[tuple[Observation, dict[str, Any]]] = []  # this tick's observation dict, shared by observe and infer

        # A robot may give policies its own units (a LeRobot arm: what its datasets record).
        to_state: Callable[[Observation], Any] = getattr(ctx.robot, "policy_state", None) or state_vector
        to_action: Callable[[Any], Any] = getattr(ctx.robot, "policy_action", None) or (
            lambda row: action_from_row(row, n_joints))

        def obs_fn_for(o: Observation) -> Callable[[], dict[str, Any]]:
            def build() -> dict[str, Any]:
                if not built or built[0][0] is not o:
                    if any(c not in o.images for c in meta.cameras):
                        o.images = dict(ctx.robot.observe(render=True).images)  # the executor did not render
                    built[:] = [(o, {**observation_dict(o, instruction, meta.cameras), "state": to_state(o)})]
                return built[0][1]
            return build

        try:
            problems = policy.problems(obs_fn_for(obs)(), action_dim=n_joints + 1)
        except PolicyError as e:
            raise SkillFailure(str(e)) from None
        if problems:
            raise SkillFailure(f"policy {args.policy!r} does not fit this robot: " + "; ".join(problems))

        streamer = ChunkStreamer(policy, meta, blend_ticks=int(ctx.extras.get("policy_blend_ticks", 4)),
                                 blocking=bool(ctx.extras.get("policy_blocking", False)))
        policy.reset()
        history = meta.obs_history > 1
        held_for = 0
        limit = int(args.max_seconds * ctx.rate_hz)
        try:
            streamer.start(obs_fn_for(obs), to_state(obs))
            for _ in range(limit):
                try:
                    if history:
                        policy.observe(obs_fn_for(obs)())
                    row = streamer.tick(obs_fn_for(obs))
                except PolicyError as e:
                    raise SkillFailure(str(e)) from None
                obs = yield to_action(row)
                if expr is not None:
                    held_for = held_for + 1 if check(expr, obs) else 0
                    if held_for >= SETTLE_TICKS:
                        return Outcome.success(f"{instruction}: done", policy=meta.name, **streamer.stats.summary())
                if streamer.done:
                    if unchecked:
                        return Outcome.success(f"{instruction}: the policy says done; {unchecked}", policy=meta.name,
                                               checked=False, **streamer.stats.summary())
                    return Outcome.failure(f"the policy stopped but {expr} does not hold", policy=meta.name,
                                           **streamer.stats.summary())
            if unchecked:
                return Outcome.success(f"{instruction}: ran {meta.name!r} for {args.max_seconds:g} s; {unchecked}",
                                       policy=meta.name, checked=False, **streamer.stats.summary())
            what = expr or instruction
            return Outcome.failure(f"the policy did not achieve {what} within {args.max_seconds:.0f} s",
                                   policy=meta.name, **streamer.stats.summary())
        finally:
            streamer.close()


def install_policies(registry: Any, table: dict[str, Any] | None, device: str | None = None) -> PolicyCatalog:
    """Register the `policy` skill limited to the configured policies (the `[policies]` table)."""
    catalog = PolicyCatalog.from_config(table, device=device)
    if "policy" in registry:
        registry.skills["policy"] = PolicySkill.configured(catalog)
    return catalog
