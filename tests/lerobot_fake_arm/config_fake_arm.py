"""The configuration of the test arm, registered with LeRobot as robot type "hirobot_fake_arm"."""

from dataclasses import dataclass, field

from lerobot.robots import RobotConfig


@RobotConfig.register_subclass("hirobot_fake_arm")
@dataclass
class FakeArmConfig(RobotConfig):
    port: str = "/dev/null"
    use_degrees: bool = True
    cameras: dict = field(default_factory=dict)
    image_size: int = 32
