"""Recording sessions as LeRobot datasets (format v3.0), and reading them back.

    from skills.recording import DatasetRecorder
    rec = DatasetRecorder.create("out/session", fps=20, joint_names=robot.joint_names)
    robot = rec.wrap(robot)                  # every act() is recorded with the observation it answered
    rec.begin_episode("put the red cup in the bin")
    ... run the step ...
    rec.end_episode(outcome)                 # one episode per step
    rec.note_dialogue("correction", "not the plate!")
    rec.close()
"""

from skills.recording.recorder import DatasetRecorder, RecordingRobot
from skills.recording.reader import EpisodeData, read_dataset

__all__ = ["DatasetRecorder", "RecordingRobot", "EpisodeData", "read_dataset"]
