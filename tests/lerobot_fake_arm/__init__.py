"""A LeRobot `Robot` subclass shaped like an SO-101 follower, without hardware.

Five joints and a gripper reported as "<motor>.pos" (degrees, the gripper 0..100), two
cameras "front" and "wrist", and motors that reach a commanded position by the next
observation. Every command sent is kept in `sent`. LeRobot's own factory
(`make_robot_from_config`) finds it from its config, as it finds a third-party robot.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from lerobot.robots import Robot

from tests.lerobot_fake_arm.config_fake_arm import FakeArmConfig

MOTORS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]

__all__ = ["FakeArm", "FakeArmConfig", "MOTORS"]


class FakeArm(Robot):
    config_class = FakeArmConfig
    name = "hirobot_fake_arm"
    made: list["FakeArm"] = []  # every arm LeRobot's factory made, for tests to look at

    def __init__(self, config: FakeArmConfig):
        super().__init__(config)
        FakeArm.made.append(self)
        self.config = config
        self.position = {m: 0.0 for m in MOTORS}
        self.position.update({"shoulder_lift": -30.0, "elbow_flex": 45.0, "gripper": 10.0})
        self.sent: list[dict[str, float]] = []
        self.connected = False
        self.frames = 0

    @cached_property
    def observation_features(self) -> dict:
        size = self.config.image_size
        return {**{f"{m}.pos": float for m in MOTORS}, "front": (size, size, 3), "wrist": (size, size, 3)}

    @cached_property
    def action_features(self) -> dict:
        return {f"{m}.pos": float for m in MOTORS}

    @property
    def is_connected(self) -> bool:
        return self.connected

    def connect(self, calibrate: bool = True) -> None:
        self.connected = True

    @property
    def is_calibrated(self) -> bool:
        return True

    def calibrate(self) -> None:
        pass

    def configure(self) -> None:
        pass

    def get_observation(self) -> dict:
        size = self.config.image_size
        self.frames += 1
        rng = np.random.default_rng(self.frames)
        obs = {f"{m}.pos": float(v) for m, v in self.position.items()}
        obs["front"] = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        obs["wrist"] = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        return obs

    def send_action(self, action: dict) -> dict:
        assert set(action) == set(self.action_features), action
        self.sent.append(dict(action))
        for key, value in action.items():
            self.position[key[: -len(".pos")]] = float(value)
        return action

    def disconnect(self) -> None:
        self.connected = False
