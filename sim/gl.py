"""Letting go of the GL context after rendering.

MuJoCo's renderer makes its EGL context current in the rendering thread and leaves it so. A
context current in one thread cannot be made current in another, not even after that thread
has ended, so closing a renderer later from another thread fails. Releasing the context after
each frame lets any thread close (or use) the renderer afterwards, at a cost of microseconds.
"""

from __future__ import annotations

import os


def release_current_context() -> None:
    if os.environ.get("MUJOCO_GL", "").lower() != "egl":
        return
    try:
        from mujoco import egl as mjegl
        from OpenGL import EGL
    except Exception:
        return
    display = getattr(mjegl, "EGL_DISPLAY", None)
    if display is None:
        return
    EGL.eglMakeCurrent(display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, EGL.EGL_NO_CONTEXT)


def close_renderers(renderers) -> None:
    """Close renderers, going on past any that fail (their context may already be gone)."""
    for r in list(renderers):
        try:
            r.close()
        except Exception:
            pass


def plain_renderer(model, height: int, width: int):
    """A MuJoCo renderer without shadows, reflections, skybox or fog: faster, and without
    shading that would paint the table in object-like colours. Its context is released, so
    any thread may use or close it."""
    import mujoco

    r = mujoco.Renderer(model, height, width)
    for flag in (mujoco.mjtRndFlag.mjRND_SHADOW, mujoco.mjtRndFlag.mjRND_REFLECTION,
                 mujoco.mjtRndFlag.mjRND_SKYBOX, mujoco.mjtRndFlag.mjRND_FOG):
        r.scene.flags[flag] = False
    release_current_context()
    return r
