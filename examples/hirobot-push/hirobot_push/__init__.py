"""Push an object across the table: a hirobot skill plugin."""

from hirobot_push.skill import PushArgs, PushSkill

__all__ = ["PushArgs", "PushSkill"]
