"""Job scripts: a job written in plain language, one instruction per paragraph.

    scene: jobs/scenes/kitchen.json      (optional first line: the scene to use)

    # Lines starting with '#' are titles or comments.
    Throw the trash away.

    Put the cups on the tray,
    then the fork to the left of the plate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


class JobScriptError(ValueError):
    pass


@dataclass
class JobScript:
    instructions: list[str]
    scene: Path | None = None


def parse_job(text: str, base: Path | None = None) -> JobScript:
    scene = None
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        m = re.match(r"^scene:\s*(\S.*)$", line, re.I)
        if m and not paragraphs and not current and scene is None:
            p = Path(m.group(1).strip())
            scene = p if p.is_absolute() or base is None else (base / p)
            continue
        if line.startswith("#"):
            continue
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    if not paragraphs:
        raise JobScriptError("the job has no instructions: write one instruction per paragraph")
    return JobScript(instructions=paragraphs, scene=scene)


def load_job(path: str | Path) -> JobScript:
    from sim.scenario import ScenarioError, read_text_file

    path = Path(path)
    try:
        text = read_text_file(path, "job")
    except ScenarioError as e:
        raise JobScriptError(str(e)) from None
    try:
        return parse_job(text, base=path.parent)
    except JobScriptError as e:
        raise JobScriptError(f"{path}: {e}") from None
