"""Where a policy runs: "auto" (the default) is CUDA when a GPU is present, else the CPU."""

from __future__ import annotations


def pick_device(requested: str | None = None) -> str:
    """"cuda", "cuda:1", "mps" or "cpu": `requested` when given, else the best one present. A
    device that is asked for but absent is an error, not a silent fallback to the CPU."""
    import torch

    want = (requested or "auto").strip().lower()
    if want == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if want.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {requested!r} was asked for, but torch sees no CUDA GPU here")
    if want == "mps" and not (getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()):
        raise ValueError("device 'mps' was asked for, but this torch has no Metal backend here")
    if want != "cpu" and not want.startswith(("cuda", "mps")):
        raise ValueError(f"unknown device {requested!r}: use auto, cpu, cuda, cuda:N or mps")
    return want
