"""Command-line entries: `hirobot serve-policy` and `hirobot train`.

Register them on the main Typer app:
    from skills.policies.cli import serve_policy, train_policy
    app.command("serve-policy")(serve_policy)
    app.command("train")(train_policy)
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Optional

import typer

from skills.policies.registry import builtin_checkpoint


def serve_policy(
    policy: str = typer.Argument("learned-place", help="a shipped or configured policy name, or a checkpoint "
                                 "folder (LeRobot or hirobot)"),
    host: str = typer.Option("0.0.0.0", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on (0: any free port)"),
    api_key: Optional[str] = typer.Option(None, "--api-key", envvar="HIROBOT_POLICY_API_KEY",
                                          help="refuse robots that do not send 'Authorization: Api-Key <key>'"),
    device: str = typer.Option("auto", "--device", help="where the model runs: auto (CUDA when present), cpu, "
                               "cuda, cuda:N or mps"),
    config_file: Optional[Path] = typer.Option(None, "--config", help="TOML config file with [policies]"),
) -> None:
    """Serve a policy to robots over the openpi websocket protocol (run this on the GPU machine)."""
    from agent.config import load_config
    from skills.policies.base import PolicyError
    from skills.policies.catalog import PolicyCatalog
    from skills.policies.registry import load_source
    from skills.policies.serve import PolicyServer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        cfg = load_config(config_file)
        catalog = PolicyCatalog.from_config(cfg.policies, device=device)
        p = load_source(policy, device=device, catalog=catalog)
    except (PolicyError, ValueError, FileNotFoundError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2)
    server = PolicyServer(p, host=host, port=port, api_key=api_key)
    meta = p.metadata

    def ready(bound: int) -> None:
        typer.echo(f"serving {meta.name!r} on {meta.device or 'its device'} (chunks of {meta.action_horizon} x "
                   f"{meta.action_dim} at {meta.rate_hz:g} Hz) on ws://{host}:{bound}"
                   f"{' with an API key' if api_key else ''}", err=False)

    try:
        asyncio.run(server.serve_forever(on_ready=ready))
    except KeyboardInterrupt:
        pass


def train_policy(
    episodes: int = typer.Option(80, help="scripted demonstrations to record"),
    steps: int = typer.Option(6000, help="training steps (batch 64)"),
    dataset: Path = typer.Option(Path("out/demos"), help="where the demonstrations are recorded (LeRobot format); "
                                 "reused if it already holds a dataset"),
    out: Optional[Path] = typer.Option(None, help="checkpoint folder; default: the shipped learned-place weights"),
    eval_episodes: int = typer.Option(10, help="after training, run the policy on this many held-out scenes"),
    seed: int = typer.Option(0),
) -> None:
    """Record scripted demonstrations in the simulator, train the learned place policy, and check it."""
    from skills.policies.demos import record_demos
    from skills.policies.train import train

    out = out or builtin_checkpoint("learned-place")
    if not (dataset / "meta" / "info.json").exists():
        typer.echo(f"recording {episodes} demonstrations to {dataset}")
        ok, n = record_demos(dataset, episodes, progress=typer.echo)
        typer.echo(f"scripted skill succeeded in {ok}/{n}")
    else:
        typer.echo(f"using the demonstrations already in {dataset}")
    rep = train(dataset, out, steps=steps, seed=seed, log=typer.echo)
    typer.echo(f"trained on {rep.frames} frames of {rep.episodes} episodes in {rep.seconds:.0f} s "
               f"(loss {rep.final_loss:.4f}); saved to {out}")
    if eval_episodes:
        from skills.policies.evaluate import run_policy
        from skills.policies.lerobot_policy import load_checkpoint
        from skills.policies.registry import forget

        forget("learned-place")  # the retrained weights, not the ones loaded before
        policy = load_checkpoint(out)
        wins = 0
        for s in range(eval_episodes):
            r = run_policy(s, policy)
            wins += int(r.ok)
            typer.echo(f"  seed {s}: {'success' if r.ok else 'failure'}: {r.reason}")
        typer.echo(f"learned policy: {wins}/{eval_episodes} on held-out scenes")
