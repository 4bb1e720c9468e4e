"""Speech: recognition accuracy, latency and reflex speed on the public scenarios' turns.

Every turn of ../shared/eval/public.jsonl (or --scenarios) is synthesized with the
bundled Piper voice and two espeak-ng voices and fed through the real SpeechPipeline.

- pauses: the longest silence *inside* each synthesized turn, per voice (silero VAD below
  the endpointer's end threshold, between the first and last voiced frame). This is
  what the end-of-turn silence must exceed; it justifies `endpoint.DEFAULT_END_SILENCE_S`.
- accuracy (faster than real time, lockstep): word error rate after normalization
  (lower case, punctuation removed, "okay"/"ok" and digits unified) per voice and model,
  each turn with the vocabulary of its own scene as the recognition prompt; and the
  real-time factor (Whisper compute seconds / audio seconds).
- latency (real time, Piper voice, default model): end of speech -> final transcript,
  i.e. `Utterance.latency_s` = wall time from the arrival of the last voiced 32 ms frame
  to the transcript callback; p50 / p95.
- reflexes (real time): reflex turns ("Stop!", "Wait.", "Stop, and then ...") spoken by
  each voice; time from the end of the stop word (found in the synthesized audio by
  energy: the end of its voiced part, so a final "p" release counts as latency; mapped to
  the wall clock of the real-time source) to the Reflex callback;
  p50 / p95. The arm coming to rest is measured by the executor's benchmark.
- peak memory: the process's maximum RSS.

Run: python -m bench.bench_speech [--quick] [--models tiny.en,base] [--skip-latency]
The machine's load average is printed: on a shared 2-core machine latencies scale with it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np

from speech.asr import ASRConfig, WhisperASR, scene_vocabulary
from speech.audio import SAMPLE_RATE
from speech.endpoint import DEFAULT_END_SILENCE_S, FRAME_S, EndpointConfig
from speech.pipeline import PipelineConfig, SpeechPipeline
from speech.reflexes import match_reflex
from speech.sources import ScriptedSource
from speech.synth_turns import TurnSynth, first_word_end_s
from speech.vad import FRAME, SileroVAD
from speech.wer import edit_distance, norm_words

# The public scenarios live beside the checkout (../shared), wherever it was cloned.
DEFAULT_SCENARIOS = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "public.jsonl"
VOICES = ["piper", "espeak:en-us", "espeak:en-gb"]
REFLEX_TURNS = ["Stop!", "Wait.", "Hold on.", "Freeze!", "Stop, and then I want you to put the green block in the blue bowl."]

def load_turns(path: Path) -> list[tuple[str, list[str]]]:
    """(text, scene vocabulary) for every distinct turn."""
    out: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        sc = json.loads(line)
        vocab = scene_vocabulary(sc.get("scene", {}).get("objects", []))
        for turn in sc.get("turns", []):
            out.setdefault(turn["say"], vocab)
    return list(out.items())


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(np.floor(k)), int(np.ceil(k))
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


# ---------------------------------------------------------------------- pauses


def longest_inner_pause(vad: SileroVAD, pcm: np.ndarray, end_threshold: float) -> float:
    vad.reset()
    x = np.concatenate([np.zeros(FRAME * 4, np.float32), pcm, np.zeros(FRAME * 8, np.float32)])
    probs = [vad(x[i : i + FRAME]) for i in range(0, len(x) - FRAME + 1, FRAME)]
    voiced = [i for i, p in enumerate(probs) if p >= end_threshold]
    if not voiced:
        return 0.0
    best = run = 0
    for p in probs[voiced[0] : voiced[-1] + 1]:
        run = run + 1 if p < end_threshold else 0
        best = max(best, run)
    return best * FRAME_S


def bench_pauses(synth: TurnSynth, turns: list[tuple[str, list[str]]], voices: list[str]) -> dict[str, float]:
    vad = SileroVAD()
    thr = EndpointConfig().end_threshold
    print(f"\n== pauses inside a turn (silero p < {thr}) ==")
    worst: dict[str, float] = {}
    for v in voices:
        pauses = [(longest_inner_pause(vad, synth.synth(t, v), thr), t) for t, _ in turns]
        mx, txt = max(pauses)
        worst[v] = mx
        print(f"{v:14s} longest {mx:.2f} s  p95 {pct([p for p, _ in pauses], 0.95):.2f} s  (in: {txt[:60]!r})")
    print(
        f"end-of-turn silence in use: {DEFAULT_END_SILENCE_S:.2f} s "
        f"(margin {DEFAULT_END_SILENCE_S - max(worst.values()):+.2f} s over the longest pause measured)"
    )
    return worst


# ---------------------------------------------------------------------- runs


def run_turns(
    asr: WhisperASR,
    spotter: WhisperASR,
    pcms: list[np.ndarray],
    vocabs: list[list[str]],
    *,
    realtime: bool,
    gap_s: float = 1.2,
    reflexes: bool = True,
    background: np.ndarray | None = None,
    microphone=None,
    models: dict | None = None,
    cfg: dict | None = None,
) -> tuple[list[list], list[tuple[float, object]], ScriptedSource]:
    """Plays the turns one by one (each with its scene's vocabulary) through one
    pipeline; returns the final utterances per turn and (wall time, Reflex) pairs.
    `background` / `microphone`: a room's noise under everything and its microphone."""
    src = ScriptedSource([], speed=1.0 if realtime else 0.0, keep_open=True, background=background,
                         microphone=microphone)
    if not realtime:
        src.hold()  # see SpeechPipeline.step: the stream moves one chunk at a time
    per_turn: list[list] = [[] for _ in pcms]
    current = {"i": -1}
    reflex_log: list[tuple[float, object]] = []
    lock = threading.Lock()

    def on_utt(u):
        if u.final:
            with lock:
                per_turn[max(0, current["i"])].append(u)

    def on_reflex(r):
        reflex_log.append((time.monotonic(), r))

    cfg = PipelineConfig(**{"lockstep": not realtime, "partials": False, "reflexes": reflexes, **(cfg or {})})
    p = SpeechPipeline(src, on_utterance=on_utt, on_reflex=on_reflex, config=cfg, asr=asr, spotter=spotter,
                       vad=SileroVAD(), **(models or {}))
    p.start()
    turns = []
    for i, (pcm, vocab) in enumerate(zip(pcms, vocabs)):
        # wait until the previous turn has been transcribed, as a person waits for the robot
        deadline = time.monotonic() + (30 if realtime else 10)
        while i and not per_turn[i - 1] and time.monotonic() < deadline and p.stats.dropped_segments < i:
            time.sleep(0.01)
        p.set_vocabulary(vocab)
        with lock:
            current["i"] = i
        start_pos = src.position
        turns.append(src.say(pcm, label=str(i)))
        if realtime:
            src.release()
            while src.position < start_pos + len(pcm) / SAMPLE_RATE + gap_s:
                time.sleep(0.005)
        else:
            while src.position < start_pos + len(pcm) / SAMPLE_RATE + gap_s:
                p.step()
            while p.in_speech or p.holding_sentence:  # only more audio ends these
                p.step()
            p.settle()
    src.release()
    deadline = time.monotonic() + 30
    while not per_turn[-1] and time.monotonic() < deadline and p.stats.dropped_segments == 0:
        time.sleep(0.01)
    src.close()
    p.wait_done(30)
    p.stop()
    src.turns_played = turns  # type: ignore[attr-defined]
    return _by_overlap([u for utts in per_turn for u in utts], turns), reflex_log, src


def _by_overlap(utterances: list, turns: list) -> list[list]:
    """Each transcript goes with the turn its audio overlaps most (in a noisy room a turn may
    be transcribed late, or noise between turns may be heard as words: those count against
    the nearest turn)."""
    out: list[list] = [[] for _ in turns]
    for u in sorted(utterances, key=lambda u: u.start or 0.0):
        def score(tr):
            s, e = tr.started_at or 0.0, tr.ended_at or 0.0
            overlap = min(u.end, e) - max(u.start, s)
            return overlap if overlap > 0 else overlap - 1e6  # else: the nearest
        best = max(range(len(turns)), key=lambda j: score(turns[j]))
        out[best].append(u)
    return out


def bench_accuracy(synth, turns, voices, models, threads, default_model) -> dict:
    print("\n== accuracy (faster than real time, lockstep; reflex spotter on for the default model) ==")
    spotter = WhisperASR(PipelineConfig().spotter_asr().model_copy(update={"cpu_threads": threads}))
    results = {}
    for model in models:
        asr = WhisperASR(ASRConfig(model=model, cpu_threads=threads))
        for v in voices:
            pcms = [synth.synth(t, v) for t, _ in turns]
            t0 = time.perf_counter()
            spot = model == default_model
            per_turn, reflex_log, src = run_turns(asr, spotter, pcms, [vc for _, vc in turns], realtime=False, reflexes=spot)
            wall = time.perf_counter() - t0
            false_reflexes = []
            for (ref, _), turn in zip(turns, src.turns_played):  # type: ignore[attr-defined]
                want = match_reflex(ref)
                got = [r.command for _, r in reflex_log if turn.started_at - 0.1 <= r.heard_at <= turn.ended_at + 1.0]
                if (want is None and got) or (want is not None and got[:1] != [want.command]):
                    false_reflexes.append((ref, got))
            errs = n = 0
            bad = []
            for (ref, _), utts in zip(turns, per_turn):
                hyp = " ".join(u.text for u in utts)
                e = edit_distance(norm_words(ref), norm_words(hyp))
                errs += e
                n += len(norm_words(ref))
                if e:
                    bad.append((ref, hyp))
            audio_s = sum(len(x) for x in pcms) / SAMPLE_RATE
            wer = errs / max(1, n)
            results[(model, v)] = wer
            print(f"{model:8s} {v:14s} WER {100 * wer:5.1f} %  ({errs} errors / {n} words, {len(turns)} turns)  "
                  f"wall {wall:5.1f} s for {audio_s:5.1f} s audio (RTF {wall / audio_s:.2f}, includes VAD and gaps)")
            if spot:
                n_reflex = sum(1 for ref, _ in turns if match_reflex(ref))
                print(f"         reflexes: {n_reflex} reflex turns, wrong/missed/false fires: {false_reflexes or 'none'}")
            for ref, hyp in bad[:6]:
                print(f"      said {ref!r}\n      heard {hyp!r}")
    return results


ROOM_CONDITIONS = ("clean", "reverb+20db", "reverb+10db")
ROOM_VOICES = ["piper:steady", "espeak:en-us", "flite:kal16", "flite:slt", "flite:awb", "festival:kal", "festival:slt",
               "nanotts:en-US", "nanotts:en-GB"]


def bench_rooms(synth, turns, voices, conditions, seed, threads, model, pipeline_cfg: dict | None = None) -> dict:
    """Word error rate per voice and room condition over the public turns, through the whole
    pipeline in lockstep, with the room's noise under everything (between turns too: words
    the recognizer invents there count as insertions)."""
    from speech.room import Room
    from speech.turn_end import SmartTurn

    print(f"\n== word error rate per voice and room (model {model}, room seed {seed}; lockstep) ==")
    asr = WhisperASR(ASRConfig(model=model, cpu_threads=threads))
    spotter = WhisperASR(PipelineConfig().spotter_asr().model_copy(update={"cpu_threads": threads}))
    turn_model = SmartTurn()
    table: dict[tuple[str, str], float] = {}
    by_kind: dict[str, list[int]] = {}
    conf: dict[str, list[float]] = {}
    for v in voices:
        for cond in conditions:
            room = Room(cond, seed)
            dry = [synth.synth(t, v) for t, _ in turns]
            pcms = [room.speech(x, key=t) for x, (t, _) in zip(dry, turns)]
            total_s = sum(len(x) for x in pcms) / SAMPLE_RATE + 3.0 * len(pcms) + 30
            bed, kinds = room.noise_bed(total_s, key=v) if not room.is_clean else (None, [])
            t0 = time.perf_counter()
            per_turn, reflex_log, src = run_turns(asr, spotter, pcms, [vc for _, vc in turns], realtime=False,
                                                  background=bed, microphone=room.mic().process if not room.is_clean
                                                  else None, models={"turn_model": turn_model},
                                                  cfg=pipeline_cfg)
            errs = n = 0
            bad = []
            for (ref, _), utts, played in zip(turns, per_turn, src.turns_played):  # type: ignore[attr-defined]
                hyp = " ".join(u.text for u in utts)
                e = edit_distance(norm_words(ref), norm_words(hyp))
                errs += e
                n += len(norm_words(ref))
                conf.setdefault(cond, []).extend(u.confidence for u in utts if u.confidence is not None)
                if kinds:
                    k = kinds[min(len(kinds) - 1, int(played.started_at // 12.0))]
                    acc = by_kind.setdefault(f"{cond} {k}", [0, 0])
                    acc[0] += e
                    acc[1] += len(norm_words(ref))
                if e:
                    bad.append((ref, hyp))
            false_fires = [r.command for _, r in reflex_log
                           if not any(match_reflex(ref) and pl.started_at - 0.1 <= r.heard_at <= pl.ended_at + 1.0
                                      for (ref, _), pl in zip(turns, src.turns_played))]  # type: ignore[attr-defined]
            table[(v, cond)] = errs / max(1, n)
            print(f"{v:14s} {cond:12s} WER {100 * errs / max(1, n):5.1f} %  ({errs}/{n} words)  "
                  f"false reflexes {len(false_fires)}  {room.describe() if not room.is_clean else ''}  "
                  f"[{time.perf_counter() - t0:.0f} s]", flush=True)
            for ref, hyp in bad[:3]:
                print(f"      said {ref!r}\n      heard {hyp!r}")
    print(f"\npipeline settings: {pipeline_cfg or 'defaults'}")
    print("WER %            " + "".join(f"{c:>13s}" for c in conditions))
    for v in voices:
        print(f"{v:16s} " + "".join(f"{100 * table[(v, c)]:12.1f} " for c in conditions))
    print(f"{'mean':16s} " + "".join(f"{100 * np.mean([table[(v, c)] for v in voices]):12.1f} " for c in conditions))
    print("by noise kind: " + "; ".join(f"{k} {100 * e / max(1, n):.1f} %" for k, (e, n) in sorted(by_kind.items())))
    print("transcript confidence p5/p50: " + "; ".join(
        f"{c} {np.percentile(x, 5):.2f}/{np.percentile(x, 50):.2f}" for c, x in conf.items() if x))
    return table


def bench_latency(synth, turns, model, threads, n_turns) -> list[float]:
    print(f"\n== end of speech -> final transcript (real time, piper, model {model}, {threads} threads) ==")
    asr = WhisperASR(ASRConfig(model=model, cpu_threads=threads))
    spotter = WhisperASR(PipelineConfig().spotter_asr().model_copy(update={"cpu_threads": threads}))
    sel = turns[:n_turns]
    pcms = [synth.synth(t, "piper") for t, _ in sel]
    per_turn, _, _ = run_turns(asr, spotter, pcms, [vc for _, vc in sel], realtime=True)
    lat = [u.latency_s for utts in per_turn for u in utts[-1:] if u.latency_s is not None]
    print(f"{len(lat)} turns: p50 {pct(lat, 0.5):.3f} s  p95 {pct(lat, 0.95):.3f} s  max {max(lat):.3f} s  "
          f"(includes the {DEFAULT_END_SILENCE_S:.2f} s end-of-turn silence, overlapped with a speculative transcription)")
    return lat


def bench_reflexes(synth, voices, model, threads) -> list[float]:
    print("\n== end of stop word -> Reflex fired (real time) ==")
    asr = WhisperASR(ASRConfig(model=model, cpu_threads=threads))
    spotter = WhisperASR(PipelineConfig().spotter_asr().model_copy(update={"cpu_threads": threads}))
    lat: list[float] = []
    missed = []
    for v in voices:
        pcms = [synth.synth(t, v) for t in REFLEX_TURNS]
        _, reflex_log, src = run_turns(asr, spotter, pcms, [[]] * len(pcms), realtime=True, gap_s=1.0)
        for text, pcm, turn in zip(REFLEX_TURNS, pcms, src.turns_played):  # type: ignore[attr-defined]
            want = match_reflex(text)
            word_end_wall = turn.started_wall + first_word_end_s(pcm)
            hits = [(w, r) for w, r in reflex_log if turn.started_at - 0.1 <= r.heard_at <= turn.ended_at + 1.0]
            if not hits or hits[0][1].command != want.command:
                missed.append((v, text, [r.command for _, r in hits]))
                continue
            lat.append(hits[0][0] - word_end_wall)
            print(f"  {v:14s} {text[:28]!r:32s} -> {hits[0][1].command:6s} {hits[0][0] - word_end_wall:+.3f} s "
                  f"after the word (utterance lasts {turn.duration:.1f} s)")
    print(f"{len(lat)} reflexes: p50 {pct(lat, 0.5):.3f} s  p95 {pct(lat, 0.95):.3f} s; missed/wrong: {missed or 'none'}")
    return lat


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=Path, default=DEFAULT_SCENARIOS)
    ap.add_argument("--models", default="tiny.en,base", help="final-transcript models to compare for accuracy")
    ap.add_argument("--model", default=ASRConfig().model, help="model for the latency and reflex runs")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--voices", default=",".join(VOICES))
    ap.add_argument("--latency-turns", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="fewer turns, one model, Piper only for accuracy")
    ap.add_argument("--skip-accuracy", action="store_true")
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--skip-pauses", action="store_true")
    ap.add_argument("--rooms", action="store_true",
                    help="word error rate per voice x room condition (clean, reverb+20db, reverb+10db) only")
    ap.add_argument("--room-voices", default=",".join(ROOM_VOICES))
    ap.add_argument("--room-seed", type=int, default=0)
    ap.add_argument("--conditions", default=",".join(ROOM_CONDITIONS))
    ap.add_argument("--pipeline", default="{}", help="PipelineConfig fields as JSON, e.g. '{\"end_of_turn_model\": false}'")
    args = ap.parse_args(argv)

    turns = load_turns(args.scenarios)
    if args.rooms:
        voices = args.room_voices.split(",")
        print(f"{len(turns)} distinct turns from {args.scenarios}; voices {voices}; cpu count {os.cpu_count()}; "
              f"load average {os.getloadavg()[0]:.1f}")
        synth = TurnSynth("piper")
        bench_rooms(synth, turns[:12] if args.quick else turns, voices, args.conditions.split(","), args.room_seed,
                    args.threads, args.model, json.loads(args.pipeline))
        print(f"load average now {os.getloadavg()[0]:.1f}")
        return 0
    voices = args.voices.split(",")
    models = args.models.split(",")
    if args.quick:
        turns, models, args.latency_turns = turns[:12], [args.model], 8
    print(f"{len(turns)} distinct turns from {args.scenarios}; voices {voices}; cpu count {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.1f}")
    synth = TurnSynth("piper")
    t0 = time.perf_counter()
    for v in voices:
        for t, _ in turns + [(r, []) for r in REFLEX_TURNS]:
            synth.synth(t, v)
    print(f"synthesized {len(voices) * (len(turns) + len(REFLEX_TURNS))} turns in {time.perf_counter() - t0:.1f} s")

    if not args.skip_pauses:
        bench_pauses(synth, turns, voices)
    if not args.skip_accuracy:
        bench_accuracy(synth, turns, voices if not args.quick else voices[:1], models, args.threads, args.model)
    if not args.skip_latency:
        bench_latency(synth, turns, args.model, args.threads, args.latency_turns)
        bench_reflexes(synth, voices, args.model, args.threads)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (max RSS of this process, all models and voices loaded): {rss_mb:.0f} MB; "
          f"load average now {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
