"""The voice path end to end, on the simulated arm in real time.

- End of a spoken stop word to the arm at rest: the public scenarios that halt the arm
  ("Stop!", "Wait."), said by the Piper voice and two espeak-ng voices, through the whole
  speech pipeline (VAD, reflex spotter, executor). Measured from the end of the
  stop word (its end found in the synthesized audio) to the first control tick at which
  the arm moved less than 2 mrad.
- Control-loop tick error at 50 Hz while speech recognition and synthesis run beside it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT.parent / "shared" / "eval" / "public.jsonl"
VOICES = ("piper", "espeak:en-us", "espeak:en-gb")


def stop_to_rest(voices: tuple[str, ...], repeats: int) -> dict[str, list[float]]:
    from agent.config import SessionConfig
    from agent.evaluate_voice import SpeechKit, run_scenario_voice
    from sim.scenario import load_scenarios

    halting = [s for s in load_scenarios(PUBLIC) if s.expect.halted]
    out: dict[str, list[float]] = {}
    for voice in voices:
        kit = SpeechKit(voice=voice).load()
        times = out.setdefault(voice, [])
        for _ in range(repeats):
            for sc in halting:
                with tempfile.TemporaryDirectory() as home:
                    r = run_scenario_voice(sc, SessionConfig(home=Path(home)), kit)
                if r.stop_to_rest_s is not None:
                    times.append(r.stop_to_rest_s)
                why = "" if r.success else "  (" + "; ".join(r.problems) + ")"
                print(f"  {voice:<14} {sc.id:<9} ok={r.success} stop→rest={r.stop_to_rest_s}{why}", flush=True)
    return out


def tick_error_under_speech(seconds: float = 8.0) -> dict:
    from bench.bench_executor import SCENE
    from sim.robot import SimRobot
    from skills.builtin.args import PlaceArgs
    from skills.builtin.place import PlaceSkill
    from skills.executor import Executor, RealtimeClock
    from speech.asr import ASRConfig, WhisperASR
    from speech.synth_turns import TurnSynth

    synth = TurnSynth("piper")
    asr = WhisperASR(ASRConfig())
    pcm = synth.synth("Put the red cup on the tray, then put the blue block in the bin, and leave the plate.")
    asr.warmup(pcm[:8000])
    stop = threading.Event()
    counts = {"asr": 0, "tts": 0}

    def recognize() -> None:
        while not stop.is_set():
            asr.transcribe(pcm)
            counts["asr"] += 1

    def speak() -> None:
        i = 0
        while not stop.is_set():
            synth.voice().synthesize(f"Okay, I will put the red cup on the tray, number {i}.")
            counts["tts"] += 1
            i += 1

    robot = SimRobot.from_scene(SCENE)
    load = [threading.Thread(target=recognize, daemon=True), threading.Thread(target=speak, daemon=True)]
    for t in load:
        t.start()
    time.sleep(0.5)
    ex = Executor(robot, clock=RealtimeClock())
    t0 = time.perf_counter()
    out, h = ex.run(PlaceSkill(), PlaceArgs(object="red cup", relation="on", target="tray"), rate_hz=50.0)
    wall = time.perf_counter() - t0
    stop.set()
    for t in load:
        t.join(30)
    robot.close()
    return {"ok": out.ok, "ticks": h.stats.ticks, "overruns": h.stats.overruns, "p50": h.stats.percentile_ms(50),
            "p99": h.stats.percentile_ms(99), "max": max(h.stats.errors_s) * 1e3,
            "asr_per_s": counts["asr"] / wall, "tts_per_s": counts["tts"] / wall}


# Two people talking near the robot, about other things (written for this benchmark; the
# tests use other lines).
TALK_LINES = (
    "So how was the conference in Lisbon?",
    "Long, but the talks on the second day were really good.",
    "Did you get to see the old town at all?",
    "Only one evening. We had dinner by the river.",
    "I still have to book my flights for December.",
    "Prices go up every week, you should do it today.",
    "Has anyone fixed the projector in room four?",
    "No, the technician comes on Monday.",
    "Then we'll use the small room for the review.",
    "Fine by me. Can you send the invitation?",
    "Sure. Do we invite the people from marketing too?",
    "Yes, they asked to see the numbers first.",
    "The numbers are not final until Friday though.",
    "Then let's show last month's and say so.",
    "Did you hear that Tom is leaving the company?",
    "Really? I thought he just got promoted.",
    "He is moving to Canada with his family.",
    "Good for him. We should do something for his last day.",
)


def talk_not_addressed(seconds: float = 180.0, room: str = "reverb+20db", seed: int = 0) -> dict:
    """`seconds` of two people talking, then, with no more pause than between their sentences,
    a command: how many replies the talk got and whether the command ran. The real pipeline
    (lockstep), the session with the rules planner and the simulated arm."""
    import tempfile

    from agent import events as ev
    from agent.config import SessionConfig
    from agent.session import Session
    from agent.voice import VoiceLink
    from sim.scenario import SceneSpec
    from speech.asr import scene_vocabulary
    from speech.pipeline import PipelineConfig, SpeechPipeline
    from speech.room import Room
    from speech.sources import ArraySource
    from speech.synth_turns import TurnSynth

    objects = [{"name": "red cup", "kind": "cup", "color": "red"}, {"name": "bin", "kind": "bin", "at": "right"},
               {"name": "blue block", "kind": "block", "color": "blue"}]
    synth = TurnSynth("flite:awb")
    r = Room(room, seed)
    voices = ("flite:awb", "nanotts:en-GB", "festival:kal")
    parts, t, i = [np.zeros(8000, np.float32)], 0.5, 0
    while t < seconds:
        line = TALK_LINES[i % len(TALK_LINES)]
        x = r.speech(synth.synth(line, voices[i % len(voices)]), key=("talk", i))
        gap = np.zeros(int(0.25 * 16000), np.float32)
        parts += [x, gap]
        t += (len(x) + len(gap)) / 16000
        i += 1
    command = "Put the red cup in the bin."
    parts += [r.speech(synth.synth(command, "flite:awb"), key=command), np.zeros(32000, np.float32)]
    audio = np.concatenate(parts)
    noise = r.noise_bed(len(audio) / 16000 + 12, key="talk")[0][: len(audio)]
    audio = r.mic().process(audio + noise)
    events: list = []
    with tempfile.TemporaryDirectory() as home:
        session = Session(SceneSpec.model_validate({"objects": objects, "seed": 1}), SessionConfig(home=Path(home)),
                          on_event=events.append)
        link = VoiceLink(session)
        p = SpeechPipeline(ArraySource(audio), on_utterance=link.on_utterance, on_reflex=link.on_reflex,
                           vocabulary=scene_vocabulary(objects) + session.registry.names(),
                           config=PipelineConfig(lockstep=True, partials=False))
        p.start()
        p.wait_done(900)
        p.stop()
        link.wait_idle(120)
        session.close()
    plans = [e for e in events if isinstance(e, ev.PlanMade)]
    heard_talk = [u.text for u in link.utterances if u.end is not None and u.end < (len(audio) - 3 * 16000) / 16000]
    command_ran = bool(link.results) and link.results[-1].outcome == "done"
    return {"talk_s": round(t, 1), "sentences": i, "heard": len(heard_talk), "ignored": len(link.ignored),
            "replies": max(0, len(plans) - (1 if command_ran else 0)), "command_ran": command_ran,
            "replied_to": [u for u in heard_talk if u not in {x.text for x in link.ignored}][:6]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--voices", nargs="*", default=list(VOICES))
    ap.add_argument("--talk-only", action="store_true", help="only the talk-not-addressed measurement")
    ap.add_argument("--talk-s", type=float, default=180.0)
    a = ap.parse_args(argv)
    print(f"== {a.talk_s:.0f} s of talk not addressed to the robot, then a command (reverb+20db room) ==")
    t = talk_not_addressed(a.talk_s)
    print(f"{t['sentences']} sentences over {t['talk_s']} s: {t['heard']} transcribed, {t['ignored']} judged not for "
          f"the robot, {t['replies']} replies (target: at most 1); the command after it "
          f"{'ran' if t['command_ran'] else 'did NOT run'}; replied to: {t['replied_to'] or 'nothing'}")
    if a.talk_only:
        return
    print("== control loop at 50 Hz while speech recognition and synthesis run ==")
    r = tick_error_under_speech()
    print(f"tick error p50 {r['p50']:.2f} ms, p99 {r['p99']:.2f} ms, max {r['max']:.2f} ms, "
          f"{r['overruns']} overruns in {r['ticks']} ticks ({r['asr_per_s']:.1f} transcriptions/s and "
          f"{r['tts_per_s']:.1f} syntheses/s beside it){'' if r['ok'] else ' (step failed)'}")
    if not PUBLIC.exists():
        print(f"stop→rest skipped: {PUBLIC} is not here")
        return
    print("== end of a spoken stop word to the arm at rest (voice mode, real time) ==")
    res = stop_to_rest(tuple(a.voices), a.repeats)
    for voice, xs in res.items():
        if xs:
            print(f"{voice:<14} n={len(xs)} p50 {np.percentile(xs, 50):.3f} s  p95 {np.percentile(xs, 95):.3f} s  "
                  f"max {max(xs):.3f} s")
    allx = [x for xs in res.values() for x in xs]
    if allx:
        print(f"{'all voices':<14} n={len(allx)} p50 {np.percentile(allx, 50):.3f} s  "
              f"p95 {np.percentile(allx, 95):.3f} s (median {statistics.median(allx):.3f} s)")


if __name__ == "__main__":
    main()
