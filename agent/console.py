"""How a session looks in a terminal: the plan, each step as it runs, what the robot says."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from agent import events as ev


class ConsoleView:
    """An event subscriber that prints a live account of the session."""

    def __init__(self, console: Console | None = None, verbose: bool = False) -> None:
        self.console = console or Console()
        self.verbose = verbose
        self._status = None

    def __call__(self, e: Any) -> None:
        c = self.console
        if isinstance(e, ev.Utterance) and e.final:
            c.print(f"[bold cyan]you[/]   {e.text}")
        elif isinstance(e, ev.PlanMade):
            from agent.planners.report import turn_line, turn_record, who_answered

            if e.metrics:  # which planner answered, fallbacks, latency and tokens: every turn
                c.print(turn_line(turn_record(e.planner, e.utterance, e.metrics)), style="dim", markup=False,
                        highlight=False)
            if e.steps:
                t = Table(title=f"plan ({who_answered(e.planner, e.metrics)})", show_header=True,
                          header_style="bold", expand=False)
                t.add_column("#", justify="right")
                t.add_column("skill")
                t.add_column("arguments")
                t.add_column("instruction")
                for i, s in enumerate(e.steps, 1):
                    args = ", ".join(f"{k}={v}" for k, v in s.get("args", {}).items())
                    t.add_row(str(i), s["skill"], args, s.get("instruction", ""))
                c.print(t)
            if e.control != "none":
                c.print(f"[magenta]control[/] {e.control}")
            if self.verbose and e.metrics:
                c.print(f"[dim]planner metrics {e.metrics}[/]")
        elif isinstance(e, ev.Spoken):
            c.print(f"[bold green]robot[/] {e.text}")
        elif isinstance(e, ev.QuestionAsked):
            c.print(f"[bold yellow]robot asks[/] {e.text}")
        elif isinstance(e, ev.StepStarted):
            c.print(f"[blue]▶ step {e.index}[/] {e.instruction or e.skill} [dim]({e.skill})[/]")
        elif isinstance(e, ev.StepFinished):
            mark = {"success": "[green]✔[/]", "failure": "[red]✘[/]", "cancelled": "[yellow]■[/]"}[e.status]
            why = f" — {e.reason}" if e.reason else ""
            c.print(f"  {mark} step {e.index} {e.status} in {e.duration_s:.1f} s "
                    f"[dim]({e.ticks} ticks, {e.overruns} overruns)[/]{why}")
        elif isinstance(e, ev.Reflex):
            c.print(f"[bold red]reflex[/] {e.command} ({e.word})")
        elif isinstance(e, ev.Cue):
            what = e.detail.get("reason") or e.detail.get("object") or e.detail.get("class") or ""
            dist = e.detail.get("distance")
            extra = f" moved {float(dist) * 100:.0f} cm" if isinstance(dist, (int, float)) else ""
            c.print(f"[yellow]cue[/] {e.source}/{e.kind} {what}{extra} → {e.action}")
        elif isinstance(e, ev.Note):
            c.print(f"[magenta]noted[/] ({e.scope}) {e.text}")
        elif isinstance(e, ev.ErrorEvent):
            c.print(f"[red]error[/] {e.where}: {e.message}")
