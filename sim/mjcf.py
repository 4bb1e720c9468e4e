"""The MJCF of the tabletop: table, a 6-joint arm with a parallel-jaw gripper, objects, cameras.

Frames: the table frame is the world frame. Its origin is the centre of the table top, +x points
away from the robot (across the table), +y to the robot's left, +z up. The arm stands on a
pedestal at the -x edge of the table.

Arm (all hinges, zero pose = pointing straight up):
  j1 base yaw (z) - j2 shoulder pitch (y) - j3 elbow pitch (y) - j4 wrist pitch (y)
  - j5 wrist deviation (x) - j6 tool roll (z, the approach axis).
With the tool pointing down, j6 turns the jaws about the vertical, which is what yawing a grasp
needs. The hand's local +z is the approach direction; the fingers slide along its local y.

Collision groups: table and objects have contype=1/conaffinity=1; robot geoms have contype=2 and
conaffinity=1, so the robot touches the world but never itself (no self-collision to manage).
Every arm body has gravcomp="1" so the position servos track without steady-state sag.
There is no equality constraint anywhere: objects are held by finger contact and friction only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.kinds import GRIPPER_MAX_WIDTH, kind_info, rgba

PHYSICS_DT = 0.002

# Arm geometry (metres), also used by the layout to keep objects within reach.
BASE_POS = (-0.52, 0.0, 0.0)
SHOULDER_HEIGHT = 0.15
UPPER_ARM = 0.46
FOREARM = 0.44
TABLE_HALF = (0.35, 0.5)
TABLE_THICK = 0.04
FINGER_TRAVEL = GRIPPER_MAX_WIDTH / 2  # each finger slides this far from open to touching
# Tool centre point: the middle of the finger pads, this far along the hand's approach axis.
TCP_OFFSET = 0.09

ARM_JOINTS = ["j1", "j2", "j3", "j4", "j5", "j6"]
ARM_RANGES = [(-2.9, 2.9), (-1.9, 1.9), (-2.8, 2.8), (-2.9, 2.9), (-2.0, 2.0), (-3.1, 3.1)]
# Stiffer servos on the joints that carry the most arm.
ARM_KP = [400, 400, 300, 150, 80, 60]
ARM_KV = [40, 40, 30, 12, 6, 4]


@dataclass(frozen=True)
class Placement:
    """Where one object of the scene starts."""

    name: str
    kind: str
    color: str | None
    x: float
    y: float
    yaw: float = 0.0


def _f(*v: float) -> str:
    return " ".join(f"{x:.5g}" for x in v)


def _rgba(c) -> str:
    return _f(*c)


def _look_xyaxes(pos, target, up=(0.0, 0.0, 1.0)) -> str:
    """xyaxes of a camera at `pos` looking at `target` (MuJoCo cameras look along their -z)."""
    pos, target, up = (np.asarray(v, float) for v in (pos, target, up))
    fwd = target - pos
    fwd /= np.linalg.norm(fwd)
    x = np.cross(fwd, up)
    x /= np.linalg.norm(x)
    y = np.cross(x, fwd)
    return _f(*x, *y)


def _finger(side: str, sign: int) -> str:
    # Body origin sits on the pad's inner face; sliding along -sign*y closes the jaw.
    return f"""
          <body name="finger_{side}" pos="0 {_f(sign * FINGER_TRAVEL)} 0.04" gravcomp="1">
            <joint name="finger_{side}" type="slide" axis="0 {-sign} 0" range="0 {_f(FINGER_TRAVEL)}"
                   damping="3" armature="0.01"/>
            <geom name="finger_{side}_link" class="robot" type="box" size="0.012 0.005 0.035"
                  pos="0 {_f(sign * 0.011)} 0.035" rgba="0.25 0.25 0.28 1" mass="0.05"/>
            <geom name="pad_{side}" class="pad" type="box" size="0.015 0.003 0.022"
                  pos="0 {_f(sign * 0.003)} 0.048" mass="0.01"/>
          </body>"""


def arm_xml() -> str:
    bx, by, bz = BASE_POS
    return f"""
    <body name="pedestal" pos="{_f(bx, by, bz)}">
      <geom class="visual" type="cylinder" size="0.09 0.38" pos="0 0 -0.33" rgba="0.3 0.3 0.33 1"/>
      <body name="link1" pos="0 0 0.05" gravcomp="1">
        <joint name="j1" axis="0 0 1" range="{_f(*ARM_RANGES[0])}"/>
        <geom class="robot" type="cylinder" size="0.07 0.05" pos="0 0 0.05" rgba="0.85 0.85 0.88 1"/>
        <body name="link2" pos="0 0 0.1" gravcomp="1">
          <joint name="j2" axis="0 1 0" range="{_f(*ARM_RANGES[1])}"/>
          <geom class="robot" type="capsule" size="0.045" fromto="0 0 0 0 0 {_f(UPPER_ARM)}" rgba="0.85 0.85 0.88 1"/>
          <body name="link3" pos="0 0 {_f(UPPER_ARM)}" gravcomp="1">
            <joint name="j3" axis="0 1 0" range="{_f(*ARM_RANGES[2])}"/>
            <geom class="robot" type="capsule" size="0.038" fromto="0 0 0 0 0 {_f(FOREARM)}" rgba="0.2 0.45 0.8 1"/>
            <body name="link4" pos="0 0 {_f(FOREARM)}" gravcomp="1">
              <joint name="j4" axis="0 1 0" range="{_f(*ARM_RANGES[3])}"/>
              <geom class="robot" type="capsule" size="0.032" fromto="0 0 0 0 0 0.07" rgba="0.85 0.85 0.88 1"/>
              <body name="link5" pos="0 0 0.07" gravcomp="1">
                <joint name="j5" axis="1 0 0" range="{_f(*ARM_RANGES[4])}"/>
                <geom class="robot" type="cylinder" size="0.03 0.03" pos="0 0 0.03" rgba="0.2 0.45 0.8 1"/>
                <body name="link6" pos="0 0 0.06" gravcomp="1">
                  <joint name="j6" axis="0 0 1" range="{_f(*ARM_RANGES[5])}"/>
                  <body name="hand" pos="0 0 0.0" gravcomp="1">
                    <geom name="palm" class="robot" type="box" size="0.03 0.095 0.02" pos="0 0 0.02"
                          rgba="0.25 0.25 0.28 1" mass="0.3"/>
                    <site name="tcp" pos="0 0 {_f(TCP_OFFSET)}" size="0.006" rgba="1 0 0 0.6" group="3"/>
                    <camera name="wrist" pos="0.055 0 0.02" xyaxes="0 1 0 0.98 0 0.2" fovy="75"/>
                    {_finger("left", 1)}
                    {_finger("right", -1)}
                  </body>
                </body>
              </body>
            </body>
          </body>
        </body>
      </body>
    </body>"""


def _box_inertia(m: float, h) -> str:
    hx, hy, hz = h
    return _f(m * (hy * hy + hz * hz) / 3, m * (hx * hx + hz * hz) / 3, m * (hx * hx + hy * hy) / 3)


def object_geoms(kind: str, color) -> str:
    """The geoms of one object in its own frame (origin at the centre of its bounding box)."""
    info = kind_info(kind)
    hx, hy, hz = info.half
    c = _rgba(color)
    dark = _rgba(tuple(0.6 * v for v in color[:3]) + (1.0,))
    if info.shape == "box":
        return f'<geom class="obj" type="box" size="{_f(hx, hy, hz)}" rgba="{c}"/>'
    if info.shape == "cylinder":
        g = f'<geom class="obj" type="cylinder" size="{_f(hx, hz)}" rgba="{c}"/>'
        if kind == "cup":  # a dark disc for the opening and a handle, both for looks only
            g += (f'<geom class="visual" type="cylinder" size="{_f(hx - 0.004, 0.001)}" pos="0 0 {_f(hz)}" rgba="{dark}"/>'
                  f'<geom class="visual" type="box" size="0.006 0.004 0.02" pos="0 {_f(hy + 0.006)} 0.005" rgba="{c}"/>')
        if kind == "can":
            g += f'<geom class="visual" type="cylinder" size="{_f(hx - 0.003, 0.001)}" pos="0 0 {_f(hz)}" rgba="0.75 0.75 0.78 1"/>'
        return g
    if info.shape == "cluster":
        # Three lumps underneath (a stable tripod, so it does not roll), one core, one on top.
        lumps = [((0.012 * np.cos(a), 0.012 * np.sin(a), -0.007), 0.017) for a in (0.3, 2.4, 4.5)]
        spheres = lumps + [((0.0, 0.0, 0.0), 0.022), ((0.003, -0.004, 0.009), 0.015)]
        return "".join(f'<geom class="obj" type="sphere" size="{r}" pos="{_f(*p)}" rgba="{c}" condim="6" '
                       f'friction="1 0.01 0.002"/>' for p, r in spheres)
    if info.shape == "fork":
        # Handle from x=-hx to 0.045, a flatter, wider head beyond it; tines drawn only.
        g = (f'<geom class="obj" type="box" size="{_f((0.045 + hx) / 2, 0.011, hz)}" pos="{_f((0.045 - hx) / 2, 0, 0)}" rgba="{c}"/>'
             f'<geom class="obj" type="box" size="{_f((hx - 0.045) / 2, hy, 0.005)}" pos="{_f((hx + 0.045) / 2, 0, -hz + 0.005)}" rgba="{c}"/>')
        for ty in (-0.011, -0.0037, 0.0037, 0.011):
            g += f'<geom class="visual" type="box" size="0.012 0.0018 0.002" pos="{_f(hx + 0.01, ty, -hz + 0.003)}" rgba="{c}"/>'
        return g
    if info.shape in ("container", "tray"):
        w, fl = info.wall, info.floor
        g = f'<geom class="obj" type="box" size="{_f(hx, hy, fl / 2)}" pos="{_f(0, 0, -hz + fl / 2)}" rgba="{c}"/>'
        if info.shape == "tray":
            wz, wh = hz - (2 * hz - fl) / 2, (2 * hz - fl) / 2  # a low rim standing on the base
        else:
            wz, wh = 0.0, hz
        g += (f'<geom class="obj" type="box" size="{_f(w / 2, hy, wh)}" pos="{_f(hx - w / 2, 0, wz)}" rgba="{c}"/>'
              f'<geom class="obj" type="box" size="{_f(w / 2, hy, wh)}" pos="{_f(-hx + w / 2, 0, wz)}" rgba="{c}"/>'
              f'<geom class="obj" type="box" size="{_f(hx - w, w / 2, wh)}" pos="{_f(0, hy - w / 2, wz)}" rgba="{c}"/>'
              f'<geom class="obj" type="box" size="{_f(hx - w, w / 2, wh)}" pos="{_f(0, -hy + w / 2, wz)}" rgba="{c}"/>')
        return g
    raise ValueError(f"the simulator has no model for an object of kind {kind!r}")


def object_xml(index: int, p: Placement) -> str:
    info = kind_info(p.kind)
    color = rgba(p.color, p.kind)
    hz = info.half[2]
    q = (np.cos(p.yaw / 2), 0.0, 0.0, np.sin(p.yaw / 2))
    return f"""
    <body name="obj{index}" pos="{_f(p.x, p.y, hz + 0.001)}" quat="{_f(*q)}">
      <freejoint name="obj{index}"/>
      <inertial pos="0 0 0" mass="{_f(info.mass)}" diaginertia="{_box_inertia(info.mass, info.half)}"/>
      {object_geoms(p.kind, color)}
    </body>"""


def scene_xml(placements: list[Placement], render_size: int = 224) -> str:
    tx, ty = TABLE_HALF
    objects = "".join(object_xml(i, p) for i, p in enumerate(placements))
    front_pos = (0.72, 0.0, 0.62)
    return f"""<mujoco model="hirobot_tabletop">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="{PHYSICS_DT}" integrator="implicitfast" cone="elliptic" impratio="10"/>
  <size memory="20M"/>
  <visual>
    <global offwidth="{max(640, render_size)}" offheight="{max(480, render_size)}"/>
    <quality shadowsize="0" offsamples="0"/>
    <headlight ambient="0.45 0.45 0.45" diffuse="0.5 0.5 0.5" specular="0 0 0"/>
  </visual>
  <default>
    <joint damping="2" armature="0.05"/>
    <geom solref="0.01 1" solimp="0.95 0.99 0.001"/>
    <default class="robot">
      <geom contype="2" conaffinity="1" density="300" friction="1 0.005 0.0001"/>
    </default>
    <default class="pad">
      <geom contype="2" conaffinity="1" condim="4" friction="1.6 0.03 0.001" rgba="0.1 0.1 0.1 1"/>
    </default>
    <default class="obj">
      <geom contype="1" conaffinity="1" condim="4" friction="1.0 0.01 0.0005"/>
    </default>
    <default class="visual">
      <geom contype="0" conaffinity="0" group="1" mass="0"/>
    </default>
  </default>
  <worldbody>
    <light pos="0.2 0.3 1.6" dir="-0.1 -0.2 -1" diffuse="0.55 0.55 0.55" castshadow="false"/>
    <geom name="floor" type="plane" size="2 2 0.1" pos="0 0 -0.76" rgba="0.55 0.57 0.6 1" contype="1" conaffinity="1"/>
    <geom name="table" type="box" size="{_f(tx, ty, TABLE_THICK / 2)}" pos="0 0 {_f(-TABLE_THICK / 2)}"
          rgba="0.72 0.58 0.42 1" contype="1" conaffinity="1" friction="0.8 0.005 0.0001"/>
    <geom class="visual" type="box" size="0.03 0.03 0.36" pos="{_f(tx - 0.05, ty - 0.05, -0.4)}" rgba="0.4 0.3 0.2 1"/>
    <geom class="visual" type="box" size="0.03 0.03 0.36" pos="{_f(tx - 0.05, -ty + 0.05, -0.4)}" rgba="0.4 0.3 0.2 1"/>
    <camera name="front" pos="{_f(*front_pos)}" xyaxes="{_look_xyaxes(front_pos, (-0.05, 0, 0))}" fovy="60"/>
    {arm_xml()}
    {objects}
  </worldbody>
  <actuator>
    {"".join(f'<position name="{j}" joint="{j}" kp="{kp}" kv="{kv}" ctrlrange="{_f(*r)}" forcerange="-200 200"/>'
             for j, kp, kv, r in zip(ARM_JOINTS, ARM_KP, ARM_KV, ARM_RANGES))}
    <position name="finger_left" joint="finger_left" kp="500" kv="8" ctrlrange="0 {_f(FINGER_TRAVEL)}" forcerange="-18 18"/>
    <position name="finger_right" joint="finger_right" kp="500" kv="8" ctrlrange="0 {_f(FINGER_TRAVEL)}" forcerange="-18 18"/>
  </actuator>
</mujoco>"""
