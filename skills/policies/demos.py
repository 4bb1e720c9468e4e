"""Scripted demonstrations in the simulator, recorded as a LeRobot dataset.

The task family the shipped learned policy is trained on: a bin in the middle of the table, a
red cup and a blue cup in two of the four corner regions (chosen by the scene's seed, each
spot jittered by a few centimetres), and the instruction "put the <color> cup in the bin" for
one of the two cups. The words decide which cup; the camera decides where it is. (Cups
anywhere on the table was tried first: 80 demonstrations were too few for a policy this small
to find them, 0 of 10.) The scripted `place` skill performs it; each run is one episode whose
task is the instruction. Training seeds start at TRAIN_SEED0, evaluation seeds at 0, so a
benchmark never runs on a scene the policy was trained on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from sim.scenario import ObjectSpec, SceneSpec
from skills.api import Outcome

TRAIN_SEED0 = 10_000
COLORS = ("red", "blue")


@dataclass
class Task:
    scene: SceneSpec
    object: str
    target: str
    instruction: str


CORNERS = ("front-left", "front-right", "back-left", "back-right")


def task_for(seed: int) -> Task:
    rng = np.random.default_rng([seed, 31])
    red_at, blue_at = rng.choice(len(CORNERS), 2, replace=False)
    scene = SceneSpec(seed=seed, objects=[
        ObjectSpec(name="bin", kind="bin", at="center"),
        ObjectSpec(name="red cup", kind="cup", color="red", at=CORNERS[red_at]),
        ObjectSpec(name="blue cup", kind="cup", color="blue", at=CORNERS[blue_at]),
    ])
    color = COLORS[seed % 2]
    return Task(scene, f"{color} cup", "bin", f"put the {color} cup in the bin")


def vocabulary() -> list[str]:
    from sim.scenario import COLORS as ALL_COLORS, KINDS

    return sorted(set(ALL_COLORS) | set(KINDS) | {"put", "the", "in", "on", "into", "onto", "near", "left", "right",
                                                   "of", "to", "pick", "place", "up"})


def record_demos(root: str | Path, episodes: int, seed0: int = TRAIN_SEED0,
                 progress: Callable[[str], None] | None = None) -> tuple[int, int]:
    """Run the scripted skill on `episodes` seeded scenes, recording each; returns (successes, runs)."""
    from sim.robot import SimRobot
    from skills.builtin.args import PlaceArgs
    from skills.builtin.place import PlaceSkill
    from skills.drive import drive
    from skills.recording import DatasetRecorder

    rec: DatasetRecorder | None = None
    ok = 0
    t0 = time.perf_counter()
    for i in range(episodes):
        task = task_for(seed0 + i)
        robot = SimRobot(task.scene)
        if rec is None:
            rec = DatasetRecorder.create(root, fps=20, joint_names=robot.joint_names)
        rec.begin_episode(task.instruction)
        out: Outcome = drive(PlaceSkill(), PlaceArgs(object=task.object, relation="in", target=task.target),
                             rec.wrap(robot), instruction=task.instruction)
        rec.end_episode(out)
        robot.close()
        ok += int(out.ok)
        if progress:
            progress(f"demo {i + 1}/{episodes}: {task.instruction}: {out.status.value} "
                     f"({time.perf_counter() - t0:.0f} s)")
    if rec is not None:
        rec.close()
    return ok, episodes
