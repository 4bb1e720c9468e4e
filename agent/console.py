"""How a session looks in a terminal: the plan, each step as it runs, what the robot says.

Everything an event carries came from a person, a planner or a scene file: it is printed as
plain text (rich `Text`, never markup), one line of it at most `MAX_SHOWN` characters long, so
a "[/]" in an object name or a megabyte-long reply can neither crash nor stall the console.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent import events as ev

MAX_SHOWN = 500  # characters of one untrusted text shown; the event log keeps it all


def shown(value: Any, limit: int = MAX_SHOWN) -> str:
    """Untrusted text as it is shown: control characters made visible, cut to `limit`."""
    text = "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(value)[: limit + 1])
    if len(str(value)) > limit:
        text = text[:limit] + f"… ({len(str(value)) - limit} more characters)"
    return text


def line(*parts: tuple[str, str] | str) -> Text:
    """A line from (label, style) pairs, which are ours, and plain strings, which are not."""
    out = Text()
    for p in parts:
        if isinstance(p, tuple):
            out.append(p[0], style=p[1])
        else:
            out.append(shown(p))
    return out


class ConsoleView:
    """An event subscriber that prints a live account of the session."""

    def __init__(self, console: Console | None = None, verbose: bool = False) -> None:
        self.console = console or Console()
        self.verbose = verbose
        self._status = None

    def __call__(self, e: Any) -> None:
        c = self.console
        if isinstance(e, ev.Utterance) and e.final:
            c.print(line(("you", "bold cyan"), "   ", e.text))
        elif isinstance(e, ev.PlanMade):
            from agent.planners.report import turn_line, turn_record, who_answered

            if e.metrics:  # which planner answered, fallbacks, latency and tokens: every turn
                c.print(turn_line(turn_record(e.planner, e.utterance, e.metrics)), style="dim", markup=False,
                        highlight=False)
            if e.steps:
                t = Table(title=Text(f"plan ({shown(who_answered(e.planner, e.metrics), 60)})"), show_header=True,
                          header_style="bold", expand=False)
                t.add_column("#", justify="right")
                t.add_column("skill")
                t.add_column("arguments")
                t.add_column("instruction")
                for i, s in enumerate(e.steps[:100], 1):
                    args = ", ".join(f"{k}={v}" for k, v in s.get("args", {}).items())
                    t.add_row(str(i), Text(shown(s["skill"], 80)), Text(shown(args, 200)),
                              Text(shown(s.get("instruction", ""), 200)))
                c.print(t)
                if len(e.steps) > 100:
                    c.print(Text(f"… and {len(e.steps) - 100} more steps", style="dim"))
            if e.control != "none":
                c.print(line(("control", "magenta"), " ", e.control))
            if self.verbose and e.metrics:
                c.print(line(("planner metrics ", "dim"), str(e.metrics)))
        elif isinstance(e, ev.Spoken):
            c.print(line(("robot", "bold green"), " ", e.text))
        elif isinstance(e, ev.QuestionAsked):
            c.print(line(("robot asks", "bold yellow"), " ", e.text))
        elif isinstance(e, ev.StepStarted):
            c.print(line((f"▶ step {e.index}", "blue"), " ", e.instruction or e.skill, " ", (f"({shown(e.skill, 80)})", "dim")))
        elif isinstance(e, ev.StepFinished):
            mark = {"success": ("✔", "green"), "failure": ("✘", "red"), "cancelled": ("■", "yellow")}[e.status]
            c.print(line("  ", mark, f" step {e.index} {e.status} in {e.duration_s:.1f} s ",
                         (f"({e.ticks} ticks, {e.overruns} overruns)", "dim"), f" — {e.reason}" if e.reason else ""))
        elif isinstance(e, ev.Reflex):
            c.print(line(("reflex", "bold red"), " ", f"{e.command} ({e.word})"))
        elif isinstance(e, ev.Cue):
            what = e.detail.get("reason") or e.detail.get("object") or e.detail.get("class") or ""
            dist = e.detail.get("distance")
            extra = f" moved {float(dist) * 100:.0f} cm" if isinstance(dist, (int, float)) else ""
            c.print(line(("cue", "yellow"), " ", f"{e.source}/{e.kind} {what}{extra} → {e.action}"))
        elif isinstance(e, ev.Note):
            c.print(line(("noted", "magenta"), f" ({e.scope}) ", e.text))
        elif isinstance(e, ev.ErrorEvent):
            c.print(line(("error", "red"), " ", f"{e.where}: {e.message}"))
