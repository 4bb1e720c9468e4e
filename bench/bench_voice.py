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


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--voices", nargs="*", default=list(VOICES))
    a = ap.parse_args(argv)
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
