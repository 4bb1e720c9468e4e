"""Scenes that ship with hirobot (the demo's tabletop)."""

from __future__ import annotations

from sim.scenario import ObjectSpec, SceneSpec


def default_scene(seed: int = 7) -> SceneSpec:
    """A cluttered table after a meal: cups, trash, a can, a plate with a fork, a bin and a tray."""
    return SceneSpec(seed=seed, objects=[
        ObjectSpec(name="red cup", kind="cup", color="red"),
        ObjectSpec(name="blue cup", kind="cup", color="blue"),
        ObjectSpec(name="trash", kind="trash", color="white"),
        ObjectSpec(name="can", kind="can", color="red"),
        ObjectSpec(name="plate", kind="plate", color="white", at="front"),
        ObjectSpec(name="fork", kind="fork", color="black"),
        ObjectSpec(name="bin", kind="bin", at="right"),
        ObjectSpec(name="tray", kind="tray", at="back-left"),
    ])
