"""The `hirobot` command line."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.console import line, shown

from agent.config import SessionConfig, load_config

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Talk to a robot: a planner that decomposes, asks and takes coaching; skills that run it.")
console = Console()
err = Console(stderr=True)

DEFAULT_SCENARIOS = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "public.jsonl"


def _fail(message: str, code: int = 2) -> None:
    err.print(line(("error:", "bold red"), " ", message))
    raise typer.Exit(code)


def _config(config_file: Optional[Path], planner: Optional[str], realtime: Optional[bool],
            home: Optional[Path] = None, perception: Optional[str] = None, planner_url: Optional[str] = None,
            planner_model: Optional[str] = None, model_path: Optional[Path] = None, **extra) -> SessionConfig:
    from agent.config import ConfigError, check_openai_settings, config_path

    source = config_path(config_file)
    try:
        cfg = load_config(config_file, planner=planner, realtime=realtime, home=home, perception=perception,
                          transformers_path=model_path, **extra)
        if planner_url or planner_model:
            cfg.openai = {**cfg.openai, **{k: v for k, v in (("base_url", planner_url), ("model", planner_model)) if v}}
            if planner is None and cfg.planner in ("rules", "hybrid"):
                cfg.planner = "openai"
        check_openai_settings(cfg, source)
    except ConfigError as e:
        _fail(str(e))
        raise
    if model_path is not None and cfg.planner in ("local", "hybrid"):
        cfg.local = {**cfg.local, "model_path": str(model_path)}  # a GGUF file for the local model
    if cfg.planner == "local":  # the model file is checked now: one line, not a traceback later
        from agent.planners.local_model import ModelUnavailable, check_gguf, default_model_path

        try:
            check_gguf(Path(cfg.local.get("model_path") or default_model_path()))
        except ModelUnavailable as e:
            _fail(str(e))
    _check_home(cfg.home)
    return cfg


def _check_home(home: Path) -> None:
    """The data folder must take writes (sessions, checkpoints, memory): say so now, not mid-job."""
    import tempfile

    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=home):
            pass
    except OSError as e:
        _fail(f"{home}: the data folder cannot be written ({e.strerror or e}): set HIROBOT_HOME (or --home) "
              "to a writable folder")


PLANNER_URL = typer.Option(None, "--planner-url", help="OpenAI-compatible endpoint, e.g. http://gpu:8000/v1 "
                           "(implies --planner openai)")
PLANNER_MODEL = typer.Option(None, "--planner-model", help="model name as the server knows it")
PLANNER_HELP = ("hybrid (default: rules first, the local model for what they hand over), rules, openai, "
                "local or transformers")
MODEL_PATH = typer.Option(None, "--model-path", help="a GGUF file for --planner local (and the hybrid's model), "
                          "or a model folder for --planner transformers")
PERCEPTION = typer.Option(None, "--perception", help="state (simulator oracle, default) or vision (cameras)")
ASR_MODEL = typer.Option(None, "--asr-model",
                         help='speech recognition: "base" (default), "tiny.en" (faster, less accurate), '
                              "or a folder holding a CTranslate2 Whisper model; overrides [speech.asr] model")


def _scene_from(scene: Optional[Path], scenario: Optional[str], scenarios: Optional[Path]):
    from sim.scenario import ScenarioError, load_scenarios, load_scene
    from sim.scenes import default_scene

    try:
        if scene is not None and scenario is not None:
            _fail("give either --scene or --scenario, not both")
        if scene is not None:
            return _fits(load_scene(scene), scene), None
        if scenario is not None:
            path = scenarios or Path(os.environ.get("HIROBOT_SCENARIOS", DEFAULT_SCENARIOS))
            for sc in load_scenarios(path):
                if sc.id == scenario:
                    return _fits(sc.scene, path), sc
            _fail(f"no scenario {scenario!r} in {path}")
        return default_scene(), None
    except ScenarioError as e:
        _fail(str(e))
        raise


def _fits(spec, source: Path):
    """The scene, once its objects are known to fit on the table (a clear error otherwise)."""
    from sim.layout import layout
    from sim.scenario import ScenarioError

    try:
        layout(spec)
    except ScenarioError as e:
        raise ScenarioError(f"{source}: {e}") from None
    return spec


def _answer_lines(path: Optional[Path]) -> list[str] | None:
    from sim.scenario import ScenarioError, read_text_file

    if path is None:
        return None
    try:
        return read_text_file(path, "answers").splitlines()
    except ScenarioError as e:
        _fail(str(e))
        raise


def _console_answer(no_input: bool, answers: list[str] | None):
    queue = list(answers or [])

    def answer(question: str) -> str | None:
        if queue:
            a = queue.pop(0)
            console.print(line(("you (from answers)", "bold cyan"), " ", a))
            return a
        if no_input or not sys.stdin.isatty():
            err.print(line((f"The robot asked: {shown(question)!r} but no answer can be given "
                            "(--no-input or no terminal). Pass --answers FILE to answer ahead of time.", "yellow")))
            return None
        return typer.prompt(question)

    return answer


ROBOT = typer.Option(None, "--robot", help="drive a LeRobot robot instead of the simulator, by its LeRobot "
                     "type: so101_follower, so100_follower, koch_follower ... (needs the lerobot extra)")
ROBOT_PORT = typer.Option(None, "--robot-port", help="the robot's serial port, e.g. /dev/ttyACM0")


def _real_robot(robot: Optional[str], robot_port: Optional[str], cfg: SessionConfig):
    """The LeRobot robot asked for (with the [robot] table's id and cameras), or None for the
    simulator. A real robot runs on the wall clock."""
    if robot is None:
        return None
    from skills.robots.lerobot_robot import make_lerobot_robot

    opts = dict(cfg.robot)
    opts.pop("type", None)
    port = robot_port or opts.pop("port", None)
    opts.pop("port", None)
    cfg.realtime = True
    try:
        with console.status(f"connecting to the {robot}…"):
            return make_lerobot_robot(robot, port, robot_id=opts.pop("id", None), cameras=opts.pop("cameras", None),
                                      **opts)
    except ValueError as e:
        _fail(str(e))
        raise


def _robot_scene(robot_adapter, spec):
    """A real robot's scene is what it perceives: nothing, for an arm without object perception."""
    if robot_adapter is None:
        return spec
    from sim.scenario import SceneSpec

    return SceneSpec(objects=[])


@app.command("do")
def do(text: str = typer.Argument(..., help="what to do, in plain English"),
       scene: Optional[Path] = typer.Option(None, help="scene JSON (a scene object or a whole scenario)"),
       scenario: Optional[str] = typer.Option(None, help="use the scene of this scenario id"),
       scenarios: Optional[Path] = typer.Option(None, help="scenario file for --scenario"),
       record: Optional[Path] = typer.Option(None, help="write a video of the episode (.mp4 or .gif)"),
       record_dataset: Optional[Path] = typer.Option(None, "--record-dataset",
                                                     help="write the session as a LeRobot dataset here"),
       planner: Optional[str] = typer.Option(None, help=PLANNER_HELP),
       realtime: Optional[bool] = typer.Option(None, "--realtime/--fast", help="pace the simulator by the clock"),
       answers: Optional[Path] = typer.Option(None, help="a file with one answer per line for questions"),
       no_input: bool = typer.Option(False, "--no-input", help="never prompt; a question ends the job"),
       config_file: Optional[Path] = typer.Option(None, "--config", help="TOML config file"),
       planner_url: Optional[str] = PLANNER_URL, planner_model: Optional[str] = PLANNER_MODEL,
       model_path: Optional[Path] = MODEL_PATH, perception: Optional[str] = PERCEPTION,
       user: Optional[str] = typer.Option(None, help="whose remembered preferences apply"),
       robot: Optional[str] = ROBOT, robot_port: Optional[str] = ROBOT_PORT,
       verbose: bool = typer.Option(False, "-v", "--verbose")) -> None:
    """Run one job in the simulated tabletop (or on a LeRobot robot) and show the plan and each step."""
    from agent.console import ConsoleView
    from agent.session import Session

    if not text.strip():
        _fail("the instruction is empty: say what the robot should do, e.g. hirobot do \"put the red cup in the bin\"")
    cfg = _config(config_file, planner, realtime, perception=perception, planner_url=planner_url,
                  planner_model=planner_model, model_path=model_path, user=user)
    spec, _ = _scene_from(scene, scenario, scenarios)
    real = _real_robot(robot, robot_port, cfg)
    spec = _robot_scene(real, spec)
    answer_lines = _answer_lines(answers)
    with console.status("building the simulated tabletop…" if real is None else "starting the session…"):
        session = _open_session(cfg, lambda: Session(spec, cfg, on_event=ConsoleView(console, verbose), video=record,
                                                     robot=real, answer=_console_answer(no_input, answer_lines),
                                                     record_dataset=record_dataset))
    console.print(line((f"session {session.id} · log ", "dim"), str(session.dir / "events.jsonl")))
    try:
        result = session.say(text)
    except KeyboardInterrupt:
        session.close()
        err.print(f"[yellow]interrupted; continue with: hirobot resume {session.id}[/]")
        raise typer.Exit(130)
    session.close()
    if real is not None:
        real.close()
    if record and real is None:
        path = session.write_video(record)
        console.print(f"video: {path}", markup=False)
    if record_dataset:
        console.print(f"dataset: {record_dataset}", markup=False)
    _print_result(result)
    raise typer.Exit(_exit_status(result))


def _open_session(cfg: SessionConfig, make):
    """A new or resumed session; a disk that is full (or failing) is one line, not a traceback."""
    from agent.storage import storage_problem

    try:
        return make()
    except Exception as e:
        problem = storage_problem(e)
        if problem is None:
            raise
        _fail(f"{cfg.home}: cannot save the session ({problem}): free some space, or set HIROBOT_HOME to "
              "a folder on another disk, and try again", code=1)


def _exit_status(result) -> int:
    """0 only for a job that got done; refused, stopped, unanswered or failed jobs are 1."""
    return 0 if result.outcome == "done" else 1


def _failure_reason(result) -> str:
    if result.outcome == "planner failed":
        return next((e for e in result.errors if e.startswith("planner")), "") or "the planner gave no answer"
    if result.outcome == "disk full":
        return next((e for e in result.errors if e.startswith("storage")), "the disk is full")
    if result.outcome == "refused":
        return result.said[-1] if result.said else "the request was refused"
    if result.errors:
        return result.errors[-1]
    if result.questions and not result.done:
        return f"the robot asked {result.questions[-1]!r} and got no answer"
    return ""


def _print_result(result) -> None:
    attempts = len(result.steps)
    console.print(f"[bold]{result.outcome}[/]: {len(result.done)} step(s) done, {len(result.not_done)} not done"
                  + (f" ({attempts} skill runs)" if attempts != len(result.done) + len(result.not_done) else ""))
    for text in result.not_done:
        console.print(line(("  not done:", "red"), " ", text))
    reason = _failure_reason(result) if result.outcome != "done" else ""
    if reason:
        err.print(line((f"{result.outcome}:", "bold red"), " ", reason))


@app.command("resume")
def resume(session_id: Optional[str] = typer.Argument(None, help="session id (default: the latest unfinished)"),
           record: Optional[Path] = typer.Option(None, help="write a video of the rest of the episode"),
           no_input: bool = typer.Option(False, "--no-input"),
           home: Optional[Path] = typer.Option(None, help="data folder (default $HIROBOT_HOME or ~/.hirobot)")) -> None:
    """Continue a job whose process was killed, at the step it was in."""
    from agent.console import ConsoleView
    from agent.session import Session

    cfg = _config(None, None, None, home=home)
    sid = session_id or _latest_unfinished(cfg)
    if sid is None:
        _fail(f"no unfinished session under {cfg.home / 'sessions'}")
    try:
        session = _open_session(cfg, lambda: Session.resume(sid, cfg, on_event=ConsoleView(console), video=record,
                                                            answer=_console_answer(no_input, None)))
    except FileNotFoundError as e:
        _fail(str(e))
        raise
    if not session.unfinished():
        session.close()
        console.print(f"session {sid} has nothing left to do", markup=False)
        raise typer.Exit(0)
    console.print(line(("resuming session", "bold"), " ", sid))
    result = session.continue_job()
    session.close()
    if record:
        console.print(f"video: {session.write_video(record)}", markup=False)
    _print_result(result)
    raise typer.Exit(_exit_status(result))


def _latest_unfinished(cfg: SessionConfig) -> str | None:
    import sqlite3

    base = cfg.home / "sessions"
    if not base.exists():
        return None
    for d in sorted(base.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True):
        db = d / "checkpoints.sqlite"
        if (d / "session.json").exists() and db.exists():
            from agent.graph import build_graph
            from langgraph.checkpoint.sqlite import SqliteSaver

            conn = sqlite3.connect(str(db))
            try:
                snap = build_graph(SqliteSaver(conn)).get_state({"configurable": {"thread_id": d.name}})
                if snap.next:
                    return d.name
            finally:
                conn.close()
    return None


@app.command("skills")
def skills_cmd(as_json: bool = typer.Option(False, "--json", help="print the catalogue as JSON")) -> None:
    """List the skills the planner can use, with their arguments."""
    from skills.registry import load_registry

    reg = load_registry()
    if as_json:
        console.print_json(json.dumps(reg.catalogue()))
    else:
        t = Table(title="skills")
        t.add_column("name", style="bold")
        t.add_column("from")
        t.add_column("rate")
        t.add_column("arguments")
        t.add_column("description")
        for name in reg.names():
            s = reg.get(name)
            props = s.Args.model_json_schema().get("properties", {})
            args = ", ".join(f"{k}: {'|'.join(map(str, v['enum'])) if v.get('enum') else v.get('type', 'any')}"
                             for k, v in props.items())
            t.add_row(*(Text(shown(x, 200)) for x in (name, reg.origins[name], f"{s.rate_hz:g} Hz", args or "—",
                                                       s.description)))
        console.print(t)
    for p in reg.problems:
        err.print(line(("warning:", "yellow"), " ", p))


@app.command("eval")
def eval_cmd(file: Path = typer.Argument(..., help="scenarios, one JSON object per line"),
             text: bool = typer.Option(True, "--text/--voice", help="type the turns (default) or speak them"),
             realtime: bool = typer.Option(False, "--realtime",
                                           help="with --text: run the world by the wall clock, so typed turns "
                                                "land at their moments and the planner's latency counts"),
             voice_name: str = typer.Option("piper", "--voice-name",
                                            help="voice for --voice: piper (bundled), piper:steady (the same "
                                                 "delivery every run), espeak:VOICE, flite:VOICE, festival:kal|slt, "
                                                 "nanotts:en-US|en-GB, or cmd:'COMMAND {text} {wav}' (any program "
                                                 "that writes a WAV)"),
             audio_dir: Optional[Path] = typer.Option(None, "--audio-dir",
                                                      help="--voice: play recorded turns from DIR/manifest.jsonl "
                                                           "instead of a voice"),
             room: Optional[str] = typer.Option(None, "--room",
                                                help="--voice: hear the turns in a simulated room: clean, reverb, "
                                                     "reverb+20db, reverb+10db"),
             room_seed: int = typer.Option(0, "--room-seed", help="which room (reproducible)"),
             report: Optional[Path] = typer.Option(None, help="write the JSON report here"),
             only: Optional[list[str]] = typer.Option(None, "--only", help="run only these scenario ids"),
             tag: Optional[list[str]] = typer.Option(None, "--tag", help="run only scenarios with this tag"),
             planner: Optional[str] = typer.Option(None, help=PLANNER_HELP),
             config_file: Optional[Path] = typer.Option(None, "--config",
                                                        help="TOML config file (default $HIROBOT_HOME/config.toml)"),
             allow_fallback: bool = typer.Option(False, "--allow-fallback",
                                                 help="with --planner openai or local, count turns another planner "
                                                      "answered after the model failed (default: they fail)"),
             videos: Optional[Path] = typer.Option(None, help="write a video per scenario into this folder"),
             record_dataset: Optional[Path] = typer.Option(None, "--record-dataset",
                                                           help="write each scenario as a LeRobot dataset in PATH/<id>"),
             home: Optional[Path] = typer.Option(None, help="data folder for the sessions"),
             planner_url: Optional[str] = PLANNER_URL, planner_model: Optional[str] = PLANNER_MODEL,
             model_path: Optional[Path] = MODEL_PATH, perception: Optional[str] = PERCEPTION,
             asr_model: Optional[str] = ASR_MODEL,
             verbose: bool = typer.Option(False, "-v", "--verbose")) -> None:
    """Run scenarios end to end and check the world afterwards."""
    from agent.console import ConsoleView
    from agent.evaluate import run_scenario, totals_by_tag
    from agent.planners.report import planner_summary, planner_summary_line, turn_lines
    from sim.scenario import ScenarioError, load_scenarios

    try:
        scenarios = load_scenarios(file)
    except ScenarioError as e:
        _fail(str(e))
        raise
    if only:
        scenarios = [s for s in scenarios if s.id in set(only)]
    if tag:
        scenarios = [s for s in scenarios if set(tag) & set(s.tags)]
    if not scenarios:
        _fail("no scenarios to run (check --only / --tag)")
    if realtime and not text:
        _fail("--realtime is for --text: voice mode always runs by the wall clock")
    if text and (audio_dir or room):
        _fail("--audio-dir and --room are for spoken turns: add --voice")
    cfg = _config(config_file, planner, realtime, home=home, perception=perception, planner_url=planner_url,
                  planner_model=planner_model, model_path=model_path)
    results = []
    view = ConsoleView(console) if verbose else None
    from agent.planners.factory import PlannerPool
    from skills.registry import load_registry

    pool = PlannerPool(cfg, load_registry())  # a model loads once for all the scenarios
    kit = None
    if not text:
        from agent.evaluate_voice import SpeechKit, run_scenario_voice

        _check_voice(voice_name)

        with console.status(f"loading speech models and the {voice_name} voice…"):
            try:
                kit = SpeechKit(voice=voice_name, pipeline=_speech_config(cfg, asr_model, config_file),
                                audio_dir=audio_dir, room=room, room_seed=room_seed).load()
                _check_recordings(kit, scenarios)
            except ValueError as e:  # an unknown --asr-model, voice or room; a bad audio folder
                _fail(str(e))
            except Exception as e:
                _fail(f"voice mode needs the speech models: {e}. Run 'make setup' (or pip install -e '.[voice]').")
    with console.status("") as status:
        for i, sc in enumerate(scenarios, 1):
            status.update(Text(f"[{i}/{len(scenarios)}] {shown(sc.id, 80)}" + (" (spoken, in real time)" if kit else "")))
            video = (videos / f"{sc.id}.mp4") if videos else None
            if kit is not None:
                r = run_scenario_voice(sc, cfg, kit, on_event=view,
                                       record_dataset=record_dataset / sc.id if record_dataset else None,
                                       planner=pool.planner())
            else:
                r = run_scenario(sc, cfg, on_event=view, video=video,
                                 record_dataset=record_dataset / sc.id if record_dataset else None,
                                 allow_fallback=allow_fallback, planner=pool.planner())
            results.append(r)
            mark = "pass" if r.success else "FAIL"
            console.print(line((mark, "green" if r.success else "red"), " ", f"{sc.id:<10} {r.wall_s:6.1f} s  "
                               + ("; ".join(r.problems) if r.problems else "")))
            for planner_line in turn_lines(r.planner_turns):
                console.print(planner_line, markup=False, highlight=False)
    _print_eval_table(results)
    totals = totals_by_tag(results)
    out = {"mode": "text" if text else "voice", "realtime": realtime or not text,
           "voice": None if text else (f"recordings:{audio_dir}" if audio_dir else voice_name),
           "room": None if text else {"preset": room or "clean", "seed": room_seed},
           "planner": cfg.planner, "allow_fallback": allow_fallback,
           "scenarios": [r.model_dump() for r in results], "totals": totals,
           "planner_summary": planner_summary(results),
           "passed": sum(r.success for r in results), "total": len(results)}
    console.print(planner_summary_line(out["planner_summary"]), markup=False, highlight=False)
    if not text:
        out["latency"] = _latency_summary(results)
        console.print(_latency_line(out["latency"]))
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(out, indent=2))
        console.print(f"report: {report}", markup=False)
    pool.close()
    if kit is not None:
        kit.close()
    raise typer.Exit(0 if all(r.success for r in results) else 1)


def _check_recordings(kit, scenarios) -> None:
    """Every turn needs a recording before the first scenario starts."""
    missing = getattr(kit.synth, "missing", None)
    if missing is None:
        return
    lost = missing(t.say for sc in scenarios for t in sc.turns)
    if lost:
        raise ValueError(f"{kit.audio_dir}: no recording of {len(lost)} turn(s), e.g. {lost[0]!r}; "
                         "add them to manifest.jsonl")


def _check_voice(name: str) -> None:
    """An unknown voice is reported with the voices there are, before any model is loaded."""
    from speech.tts import make_tts

    try:
        make_tts(name).synthesize("ready")
    except Exception as e:
        _fail(f"the voice {name!r} cannot speak ({shown(e, 300)}). Voices: {', '.join(_voices())}")


def _voices() -> list[str]:
    """The names --voice-name takes: Piper's, and each English espeak-ng voice installed."""
    import shutil
    import subprocess

    from speech.voices import KNOWN_VOICES

    names = list(KNOWN_VOICES)
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if exe is not None:
        try:
            out = subprocess.run([exe, "--voices=en"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for row in out.splitlines()[1:]:
            cols = row.split()
            if len(cols) > 1 and f"espeak:{cols[1]}" not in names:
                names.append(f"espeak:{cols[1]}")
    return names


def _latency_summary(results) -> dict:
    import numpy as np

    def pct(xs, q):
        return round(float(np.percentile(xs, q)), 3) if xs else None

    final = [x for r in results for x in r.final_transcript_s]
    motion = [r.first_motion_s for r in results if r.first_motion_s is not None]
    rest = [r.stop_to_rest_s for r in results if r.stop_to_rest_s is not None]
    return {"final_transcript_s": {"p50": pct(final, 50), "p95": pct(final, 95), "n": len(final)},
            "first_motion_s": {"p50": pct(motion, 50), "p95": pct(motion, 95), "n": len(motion)},
            "stop_to_rest_s": {"p50": pct(rest, 50), "p95": pct(rest, 95), "n": len(rest)}}


def _latency_line(lat: dict) -> str:
    parts = [f"{k.replace('_s', '').replace('_', ' ')} p50 {v['p50']} s p95 {v['p95']} s (n={v['n']})"
             for k, v in lat.items()]
    return "latency from end of speech: " + "; ".join(parts)


def _print_eval_table(results) -> None:
    t = Table(title="evaluation")
    for col in ("id", "tags", "ok", "asks", "steps", "wall s", "failed"):
        t.add_column(col)
    for r in results:
        t.add_row(*(Text(shown(x, 300)) for x in (
            r.id, ",".join(r.tags), "✔" if r.success else "✘", f"{r.questions}/{r.expected_questions}",
            str(r.steps), f"{r.wall_s:.1f}", ", ".join(r.failed_predicates) or ("; ".join(r.problems) or "—"))))
    console.print(t)
    console.print(f"[bold]{sum(r.success for r in results)}/{len(results)} passed[/]")


DEMO_JOB = ("Clean up the table: the trash and the can go in the bin, the cups go on the tray, "
            "then put the fork to the left of the plate, but don't touch the plate.")


@app.command("demo")
def demo(record: Path = typer.Option(Path("out/demo.mp4"), help="where to write the episode's video"),
         voice: bool = typer.Option(False, "--voice/--typed",
                                    help="speak the job (synthesized) through the whole speech pipeline"),
         planner: Optional[str] = typer.Option(None), asr_model: Optional[str] = ASR_MODEL) -> None:
    """The main job on the embedded defaults: a multi-step tidy-up in the simulated tabletop."""
    from agent.console import ConsoleView
    from agent.session import Session
    from sim.scenes import default_scene

    cfg = _config(None, planner, voice)
    speech = _speech_config(cfg, asr_model) if voice else None
    console.print(f"[bold]demo job[/] ({'spoken' if voice else 'typed'}): {DEMO_JOB}")
    with console.status("building the simulated tabletop…"):
        session = Session(default_scene(), cfg, on_event=ConsoleView(console), video=record,
                          answer=_console_answer(True, None))
    if voice:
        result = _spoken_job(session, DEMO_JOB, speech)
    else:
        result = session.say(DEMO_JOB)
    session.close()
    path = session.write_video(record)
    if result is None:
        _fail("the spoken job was not heard; check the speech models (make setup)", code=1)
    _print_result(result)
    console.print(line(("video:", "bold"), " ", str(path)))
    raise typer.Exit(0 if result.outcome == "done" else 1)


def _speech_config(cfg: SessionConfig, asr_model: Optional[str], source: Optional[Path] = None):
    """The speech pipeline's settings (the config's [speech] table, --asr-model over it); a wrong
    setting or an unknown or missing recognition model is reported now, before anything is built."""
    from agent.config import ConfigError, config_path, speech_settings
    from speech.asr import resolve_model

    try:
        speech = speech_settings(cfg, asr_model, config_path(source))
        resolve_model(speech.asr.model)
    except (ConfigError, ValueError, RuntimeError) as e:
        _fail(str(e))
        raise
    return speech


def _spoken_job(session, text: str, speech=None):
    """Say `text` into a simulated microphone; the robot hears it, plans, works and answers
    aloud (its own voice loops back into the microphone and must not be heard as the person)."""
    from agent.voice import open_voice

    with console.status("loading speech models…"):
        voice = open_voice(session, "scripted", config=speech).start()
    link, io = voice.link, voice.io
    try:
        started = threading.Event()
        link.on_new_job = lambda u: started.set()
        io.say_as_person(text).wait(60)
        if not started.wait(20):
            return None
        time.sleep(0.2)
        link.wait_idle(600)
        io.wait_robot_idle(30)
    finally:
        voice.stop()
    return link.results[-1] if link.results else None


@app.command("listen")
def listen(device: Optional[str] = typer.Option(None, help="input device (name or index); see --list-devices"),
           speaker: Optional[str] = typer.Option(None, help="output device for the robot's voice"),
           list_devices: bool = typer.Option(False, "--list-devices", help="list audio input devices and exit"),
           scene: Optional[Path] = typer.Option(None, help="scene JSON"),
           scenario: Optional[str] = typer.Option(None, help="use the scene of this scenario id"),
           scenarios: Optional[Path] = typer.Option(None),
           wake_word: bool = typer.Option(False, "--wake-word", help="only listen after 'hey jarvis'"),
           record: Optional[Path] = typer.Option(None, help="write a video of the session"),
           record_dataset: Optional[Path] = typer.Option(None, "--record-dataset",
                                                         help="write the session as a LeRobot dataset here"),
           planner: Optional[str] = typer.Option(None), planner_url: Optional[str] = PLANNER_URL,
           planner_model: Optional[str] = PLANNER_MODEL,
           user: Optional[str] = typer.Option(None, help="whose remembered preferences apply"),
           audio: Optional[Path] = typer.Option(None, "--audio",
                                                help="play this sound file into the pipeline in real time, as a "
                                                     "microphone would, instead of listening; ends with the file"),
           robot: Optional[str] = ROBOT, robot_port: Optional[str] = ROBOT_PORT,
           config_file: Optional[Path] = typer.Option(None, "--config", help="TOML config file"),
           asr_model: Optional[str] = ASR_MODEL) -> None:
    """A live session: speak to the robot through the microphone; it answers aloud."""
    from agent.console import ConsoleView
    from agent.session import Session
    from agent.voice import open_voice
    from speech.sources import MicrophoneError, list_input_devices

    if list_devices:
        try:
            lines = list_input_devices()
        except MicrophoneError as e:
            _fail(str(e))
            raise
        for row in lines:
            console.print(shown(row), markup=False)
        if not lines:
            console.print("no audio input devices found: plug in a microphone (and check that PortAudio sees it)")
        return
    spec, _ = _scene_from(scene, scenario, scenarios)
    cfg = _config(config_file, planner, True, planner_url=planner_url, planner_model=planner_model, user=user)
    real = _real_robot(robot, robot_port, cfg)
    spec = _robot_scene(real, spec)
    session = Session(spec, cfg, on_event=ConsoleView(console), video=record, record_dataset=record_dataset,
                      robot=real)
    gates = []
    if wake_word:
        from speech.wakeword import WakeWordGate

        gates.append(WakeWordGate())
    dev = int(device) if device and device.isdigit() else device
    try:
        voice = open_voice(session, "file" if audio is not None else "microphone", audio=audio, device=dev,
                           speaker_device=speaker, gates=gates, config=_speech_config(cfg, asr_model, config_file)).start()
    except (MicrophoneError, OSError, ValueError) as e:
        session.close()
        _fail(str(e))
        raise
    link, io = voice.link, voice.io
    console.print(line(("playing ", "bold green"), str(audio), " into the robot's ears in real time") if audio else
                  "[bold green]listening[/] — speak to the robot; Ctrl-C to end. "
                  + ("Say 'hey jarvis' first." if wake_word else ""))
    try:
        if audio is not None:
            io.wait_played(link.wait_idle)
        while audio is None:
            time.sleep(0.2)
    except KeyboardInterrupt:
        console.print("ending the session…")
    finally:
        voice.stop()
        session.close()
        if real is not None:
            real.close()
        if record and real is None:
            console.print(f"video: {session.write_video(record)}", markup=False)


@app.command("look")
def look(out: Path = typer.Option(Path("out/tabletop.png"), help="PNG to write"),
         scene: Optional[Path] = typer.Option(None, help="scene JSON"),
         scenario: Optional[str] = typer.Option(None, help="use the scene of this scenario id"),
         scenarios: Optional[Path] = typer.Option(None),
         size: int = typer.Option(448, help="pixels per camera image")) -> None:
    """Render the scene's front and wrist cameras side by side into a PNG."""
    import numpy as np
    from PIL import Image

    from sim.robot import SimRobot

    spec, _ = _scene_from(scene, scenario, scenarios)
    robot = SimRobot.from_scene(spec, render_size=size)
    try:
        frames = [robot.render("front"), robot.render("wrist")]
    finally:
        robot.close()
    gap = np.full((size, 8, 3), 255, np.uint8)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate([frames[0], gap, frames[1]], axis=1)).save(out)
    console.print(f"wrote {out} (front camera | wrist camera)", markup=False)


memory_app = typer.Typer(help="What the robot remembers about a user's preferences.", no_args_is_help=True)
app.add_typer(memory_app, name="memory")


def _memory(home: Optional[Path]):
    from agent.memory import MemoryStore

    cfg = _config(None, None, None, home=home)
    return MemoryStore(cfg.home / "memory.sqlite"), cfg


@memory_app.command("list")
def memory_list(user: str = typer.Option("default", help="whose preferences"),
                home: Optional[Path] = typer.Option(None)) -> None:
    """List the preferences remembered for a user."""
    store, _ = _memory(home)
    mems = store.list(user)
    if not mems:
        console.print(f"nothing remembered for {user!r}", markup=False)
        return
    t = Table(title=Text(f"remembered for {shown(user, 80)}"))
    t.add_column("id", justify="right")
    t.add_column("preference")
    for m in mems:
        t.add_row(str(m.id), Text(shown(m.text)))
    console.print(t)


@memory_app.command("forget")
def memory_forget(what: str = typer.Argument(..., help="an id from 'memory list', words of the preference, or 'all'"),
                  user: str = typer.Option("default"), home: Optional[Path] = typer.Option(None)) -> None:
    """Forget a remembered preference."""
    store, _ = _memory(home)
    try:
        gone = store.forget(user, what)
    except ValueError as e:
        _fail(str(e))
        raise
    if not gone:
        candidates = store.matching(user, what)
        if candidates:
            which = "; ".join(f"{m.id}: {m.text}" for m in candidates[:10])
            _fail(f"{what!r} is only part of a preference; which one? {which}. Forget it by id, e.g. "
                  f"hirobot memory forget {candidates[0].id} --user {user}", code=1)
        _fail(f"nothing remembered for {user!r} matches {what!r}; see: hirobot memory list --user {user}", code=1)
    for m in gone:
        console.print(line("forgot: ", m.text))


@app.command("run")
def run_job(job: Path = typer.Argument(..., help="a job in plain language: one instruction per paragraph"),
            scene: Optional[Path] = typer.Option(None, help="scene JSON (overrides the job's 'scene:' line)"),
            answers: Optional[Path] = typer.Option(None, help="answers to questions, one per line, used in order"),
            no_input: bool = typer.Option(False, "--no-input", help="a question ends the job with a message"),
            record: Optional[Path] = typer.Option(None, help="write a video of the whole job"),
            record_dataset: Optional[Path] = typer.Option(None, "--record-dataset",
                                                          help="write the session as a LeRobot dataset here"),
            planner: Optional[str] = typer.Option(None),
            user: Optional[str] = typer.Option(None, help="whose remembered preferences apply"),
            config_file: Optional[Path] = typer.Option(None, "--config"),
            planner_url: Optional[str] = PLANNER_URL, planner_model: Optional[str] = PLANNER_MODEL,
            model_path: Optional[Path] = MODEL_PATH, perception: Optional[str] = PERCEPTION) -> None:
    """Run a job script: each paragraph is said to the robot in order, once it is idle."""
    from agent.console import ConsoleView
    from agent.jobs import JobScriptError, load_job
    from agent.session import Session
    from sim.scenario import ScenarioError, load_scene

    try:
        script = load_job(job)
    except JobScriptError as e:
        _fail(str(e))
        raise
    scene_path = scene or script.scene
    try:
        spec = _fits(load_scene(scene_path), scene_path) if scene_path else None
    except ScenarioError as e:
        _fail(str(e))
        raise
    if spec is None:
        spec, _ = _scene_from(None, None, None)
    cfg = _config(config_file, planner, None, user=user, perception=perception, planner_url=planner_url,
                  planner_model=planner_model, model_path=model_path)
    lines = _answer_lines(answers)
    asked_without_answer: list[str] = []
    base_answer = _console_answer(no_input, lines)

    def answer(question: str) -> str | None:
        a = base_answer(question)
        if a is None:
            asked_without_answer.append(question)
        return a

    session = _open_session(cfg, lambda: Session(spec, cfg, on_event=ConsoleView(console), video=record, answer=answer,
                                                 record_dataset=record_dataset))
    console.print(f"[dim]session {session.id} · {len(script.instructions)} instruction(s)[/]")
    outcome = "done"
    for i, text in enumerate(script.instructions, 1):
        console.rule(f"instruction {i}/{len(script.instructions)}")
        result = session.say(text)
        _print_result(result)
        if asked_without_answer:
            err.print(line((f"The job stopped at instruction {i}: the robot asked {shown(asked_without_answer[-1])!r} "
                            "and no answer was available. Give answers with --answers FILE or run without --no-input.",
                            "red")))
            outcome = "stopped"
            break
        if result.outcome not in ("done", "nothing said"):
            outcome = result.outcome
        if result.outcome == "disk full":
            break  # nothing more can be saved; the message says how to resume
    session.close()
    if record:
        console.print(f"video: {session.write_video(record)}", markup=False)
    raise typer.Exit(0 if outcome == "done" else 1)


def _register_policy_commands() -> None:
    from skills.policies.cli import serve_policy, train_policy

    app.command("serve-policy")(serve_policy)
    app.command("train")(train_policy)


_register_policy_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
