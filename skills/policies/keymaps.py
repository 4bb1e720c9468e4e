"""How hirobot's observation is laid out for a policy server that expects other keys.

hirobot sends {"images": {"front", "wrist"}, "state", "prompt"}. openpi's example policies
each read their own keys (their `make_*_example()` functions show them); a key map says
which hirobot camera and which part of the state fills each one, the image layout and size,
and the chunk shape the server answers with, which is used when its metadata is `{}` (openpi's
servers usually send nothing). A key path with dots is nested: "images.cam_high" is
obs["images"]["cam_high"].

    droid   observation/exterior_image_1_left, observation/wrist_image_left (224x224x3 uint8),
            observation/joint_position (7), observation/gripper_position (1), prompt;
            answers chunks of 15 x 8 (7 joint targets + gripper) at 15 Hz (pi05_droid)
    aloha   images.cam_high / cam_left_wrist (3x224x224 uint8), state (14), prompt;
            answers 50 x 14 at 50 Hz (pi0_aloha)
    libero  observation/image, observation/wrist_image (224x224x3 uint8), observation/state (8),
            prompt; answers 10 x 7 (pi05_libero)

A robot whose state or cameras do not fill a map (DROID wants 7 joints; LIBERO's state is an
end-effector pose) is refused with the list of what does not fit, before the arm moves.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

Source = Literal["state", "joints", "gripper"]


class StatePart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    source: Source = Field("state", description="state: joints then gripper; joints; gripper")
    size: int | None = Field(None, ge=1, description="values the server expects here; None: as the robot has")


class KeyMap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "custom"
    images: dict[str, str] = Field(default_factory=dict, description="server key path -> robot camera")
    image_layout: Literal["hwc", "chw"] = "hwc"
    image_size: tuple[int, int] | None = Field(None, description="(height, width) the server wants; None: as observed")
    state: list[StatePart] = Field(default_factory=list)
    prompt: str | None = "prompt"
    action_horizon: int | None = Field(None, ge=1, description="rows per answer, when the server does not say")
    action_dim: int | None = Field(None, ge=1, description="values per row, when the server does not say")
    rate_hz: float | None = Field(None, gt=0, description="control rate the rows are spaced at")

    @property
    def identity(self) -> bool:
        return self.name == "hirobot"

    @property
    def cameras(self) -> list[str]:
        return list(dict.fromkeys(self.images.values()))

    def _part(self, obs: dict[str, Any], part: StatePart) -> np.ndarray:
        state = np.asarray(obs.get("state", ()), np.float32).reshape(-1)
        if part.source == "joints":
            return state[:-1]
        if part.source == "gripper":
            return state[-1:]
        return state

    def problems(self, obs: dict[str, Any]) -> list[str]:
        if self.identity:
            return []
        out: list[str] = []
        have = obs.get("images", {})
        for key, cam in self.images.items():
            if cam not in have:
                out.append(f"{key} needs the camera {cam!r} (the robot has: {', '.join(sorted(have)) or 'none'})")
        for part in self.state:
            n = self._part(obs, part).size
            if part.size is not None and n != part.size:
                out.append(f"{part.key} wants {part.size} values, the robot's {part.source} has {n}")
        return out

    def apply(self, obs: dict[str, Any]) -> dict[str, Any]:
        """The observation under the server's keys (call `problems` first)."""
        if self.identity:
            return obs
        out: dict[str, Any] = {}
        for key, cam in self.images.items():
            img = np.asarray(obs["images"][cam], np.uint8)
            if self.image_size is not None:
                from skills.policies.lerobot_checkpoint import resize_image

                img = resize_image(img, *self.image_size)
            if self.image_layout == "chw":
                img = np.ascontiguousarray(img.transpose(2, 0, 1))
            _put(out, key, img)
        for part in self.state:
            _put(out, part.key, self._part(obs, part).astype(np.float32))
        if self.prompt:
            _put(out, self.prompt, str(obs.get("prompt", "")))
        return out


def _put(out: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for p in parents:
        out = out.setdefault(p, {})
    out[leaf] = value


PRESETS: dict[str, KeyMap] = {
    "hirobot": KeyMap(name="hirobot", images={"images.front": "front", "images.wrist": "wrist"},
                      state=[StatePart(key="state")]),
    "droid": KeyMap(name="droid", images={"observation/exterior_image_1_left": "front",
                                          "observation/wrist_image_left": "wrist"},
                    image_size=(224, 224),
                    state=[StatePart(key="observation/joint_position", source="joints", size=7),
                           StatePart(key="observation/gripper_position", source="gripper", size=1)],
                    action_horizon=15, action_dim=8, rate_hz=15.0),
    "aloha": KeyMap(name="aloha", images={"images.cam_high": "front", "images.cam_left_wrist": "wrist"},
                    image_layout="chw", image_size=(224, 224), state=[StatePart(key="state", size=14)],
                    action_horizon=50, action_dim=14, rate_hz=50.0),
    "libero": KeyMap(name="libero", images={"observation/image": "front", "observation/wrist_image": "wrist"},
                     image_size=(224, 224), state=[StatePart(key="observation/state", size=8)],
                     action_horizon=10, action_dim=7, rate_hz=10.0),
}


def keymap(spec: KeyMap | str | dict[str, Any] | None) -> KeyMap:
    """A preset by name, a KeyMap, or a mapping that validates as one."""
    if spec is None:
        return PRESETS["hirobot"]
    if isinstance(spec, KeyMap):
        return spec
    if isinstance(spec, str):
        if spec not in PRESETS:
            raise ValueError(f"unknown key map {spec!r}; presets: {', '.join(sorted(PRESETS))}")
        return PRESETS[spec]
    return KeyMap.model_validate(spec)
