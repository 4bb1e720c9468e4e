"""The embedded simulated tabletop robot (MuJoCo) and its task predicates."""

import os

# Offscreen rendering needs the GL backend chosen before MuJoCo is first imported, whichever
# sim module is imported first; EGL works headless. A caller's own choice wins.
os.environ.setdefault("MUJOCO_GL", "egl")
