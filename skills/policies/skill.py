"""`policy`: any chunking policy (learned, remote, a LeRobot checkpoint) run as a hirobot skill.

Each tick the skill plays one target from the `ChunkStreamer` (prefetch, seam blending, hold
on a late answer) and checks the step's success predicate; it ends when the predicate has
held for a few ticks (the object has settled), when the policy says it is done, or at the
time limit.

Run-time knobs in `ctx.extras` (all optional):
    "policies":           {name: Policy}   instances to use instead of loading by name
    "success_check":      callable(expr, obs) -> bool   e.g. a perception model's check
    "policy_blocking":    bool   wait for late answers (lockstep clocks); default False
    "policy_blend_ticks": int    cross-fade length at the seams; default 4 (0: no blending)
"""

from __future__ import annotations

from typing import Any, Callable

from skills.api import Observation, Outcome, Skill, SkillContext, SkillFailure, SkillRun
from skills.policies.args import PolicyArgs
from skills.policies.base import PolicyError, action_from_row, observation_dict, state_vector
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

    def run(self, args: PolicyArgs, ctx: SkillContext) -> SkillRun:
        try:
            policy = resolve_policy(args.policy, ctx.extras)
            meta = policy.metadata  # a remote policy connects here
        except PolicyError as e:
            raise SkillFailure(str(e)) from None
        instruction = ctx.instruction or args.instruction or args.default_instruction()
        expr = args.predicate()
        check: Callable[[str, Observation], bool] = ctx.extras.get("success_check") or sim_check
        n_joints = len(ctx.robot.joint_names)
        obs = ctx.first_observation
        for name in (args.object, args.target):
            if name and obs.objects:
                ctx.find(obs, name)  # a missing object fails before the arm moves

        def obs_fn_for(o: Observation) -> Callable[[], dict[str, Any]]:
            def build() -> dict[str, Any]:
                if any(c not in o.images for c in meta.cameras):
                    o.images = dict(ctx.robot.observe(render=True).images)  # the executor did not render
                return observation_dict(o, instruction, meta.cameras)
            return build

        streamer = ChunkStreamer(policy, meta, blend_ticks=int(ctx.extras.get("policy_blend_ticks", 4)),
                                 blocking=bool(ctx.extras.get("policy_blocking", False)))
        policy.reset()
        held_for = 0
        limit = int(args.max_seconds * ctx.rate_hz)
        try:
            streamer.start(obs_fn_for(obs), state_vector(obs))
            for _ in range(limit):
                try:
                    row = streamer.tick(obs_fn_for(obs))
                except PolicyError as e:
                    raise SkillFailure(str(e)) from None
                obs = yield action_from_row(row, n_joints)
                if expr is not None:
                    held_for = held_for + 1 if check(expr, obs) else 0
                    if held_for >= SETTLE_TICKS:
                        return Outcome.success(f"{instruction}: done", policy=meta.name, **streamer.stats.summary())
                if streamer.done:
                    if expr is None:
                        return Outcome.success(f"{instruction}: the policy says done", policy=meta.name,
                                               **streamer.stats.summary())
                    return Outcome.failure(f"the policy stopped but {expr} does not hold", policy=meta.name,
                                           **streamer.stats.summary())
            what = expr or instruction
            return Outcome.failure(f"the policy did not achieve {what} within {args.max_seconds:.0f} s",
                                   policy=meta.name, **streamer.stats.summary())
        finally:
            streamer.close()
