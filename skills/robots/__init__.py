"""Real robots behind hirobot's Robot protocol (`skills.api.Robot`); the simulator is in sim/.

    lerobot_robot.py   any LeRobot `Robot` (SO-100/SO-101, Koch, ...): cameras, joint state,
                       joint targets; `make_lerobot_robot("so101_follower", port=...)`
"""
