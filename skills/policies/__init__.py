"""Learned skills: chunking policies (local checkpoints, LeRobot checkpoints, policy servers) run as skills.

    base.py            the Policy interface (obs dict in, action chunk out) and its metadata
    chunking.py        playing chunks at the control rate: prefetch, seam blending, hold when late
    skill.py, args.py  `policy`: any policy as a hirobot skill, ended by a success predicate
    catalog.py         the configured policies: name -> checkpoint, server endpoint or plugin
    registry.py        which Policy a step's policy name means (names only, never addresses)
    wire.py            the openpi msgpack-numpy wire format
    keymaps.py         observation keys of openpi's DROID, ALOHA, LIBERO examples
    remote.py          a policy on an openpi-protocol policy server
    serve.py           serving any policy over that protocol (`hirobot serve-policy`)
    lerobot_policy.py  checkpoint folders: hirobot's own, or handed to LeRobot
    lerobot_checkpoint.py  a LeRobot policy through LeRobot's factory and processors
    devices.py         auto | cpu | cuda | mps
    model.py           the small language-conditioned CNN behind `learned-place`
    demos.py, train.py, evaluate.py   demonstrations in the simulator, training, success rates
    cli.py             the `serve-policy` and `train` commands
"""

from skills.policies.base import Policy, PolicyError, PolicyMetadata

__all__ = ["Policy", "PolicyError", "PolicyMetadata"]
