"""What runs on the robot: the skill API, the registry of skills, the real-time executor."""

from skills.api import Action, Observation, ObjectState, Outcome, Robot, Skill, SkillContext, SkillFailure, Status

__all__ = ["Action", "Observation", "ObjectState", "Outcome", "Robot", "Skill", "SkillContext", "SkillFailure",
           "Status"]
