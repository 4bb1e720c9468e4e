"""Learned skills: chunking policies (local checkpoints, LeRobot checkpoints, policy servers) run as skills.

    base.py            the Policy interface (obs dict in, action chunk out) and its metadata
    chunking.py        playing chunks at the control rate: prefetch, seam blending, hold when late
    skill.py, args.py  `policy`: any policy as a hirobot skill, ended by a success predicate
    registry.py        policies by name, checkpoint folder, ws:// address or entry point
    wire.py            the openpi msgpack-numpy wire format
    remote.py          a policy on an openpi-protocol policy server
    serve.py           serving any policy over that protocol (`hirobot serve-policy`)
    lerobot_policy.py  LeRobot-format checkpoint folders
    model.py           the small language-conditioned CNN behind `learned-place`
    demos.py, train.py, evaluate.py   demonstrations in the simulator, training, success rates
    cli.py             the `serve-policy` and `train` commands
"""

from skills.policies.base import Policy, PolicyError, PolicyMetadata

__all__ = ["Policy", "PolicyError", "PolicyMetadata"]
