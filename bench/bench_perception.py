"""Perception: how well vision knows where things are and whether steps did what they should,
how well sound events are told from speech and room noise, and how fast a cue stops the arm.

- position error of vision against the simulator's true poses (median, max xy) over N seeded
  scenes with random kinds and colours;
- step-check agreement: `VisionPerception.holds` against the true predicates after seeded
  placements. Placements are sampled directly (objects set down in, on, beside or near
  others, or at random), not run through the place skill, to keep it fast;
- sound events: detection rate of synthesized alarms, sirens, glass, crashes and screams,
  false alarms on espeak-ng speech, the Piper voice (normal and raised-voice commands) and
  pink/brown room noise (`perception.sound`), each on the bare clip and as the microphone
  stream hears it. The Piper voice samples its prosody (it takes no seed), so its clips
  differ from run to run: over ~600 of them one raised a cue in the stream;
- cue to rest: a stop cue cancels a running place step on the real-time executor; the time
  until the arm is at rest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np  # noqa: E402

from sim.scenario import COLORS, KINDS, ObjectSpec, SceneSpec  # noqa: E402


def random_scene(seed: int, n_min: int = 3, n_max: int = 6) -> SceneSpec:
    """A seeded scene of random kinds and colours with unique names ("red cup", "red cup 2")."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(n_min, n_max + 1))
    objs, names = [], set()
    big = 0
    for _ in range(n):
        kind = str(rng.choice(KINDS))
        if kind in ("bin", "basket", "tray", "plate"):
            big += 1
            if big > 2:  # the workspace fits two large objects beside the small ones
                kind = str(rng.choice(["cup", "block", "can", "trash", "fork", "bowl"]))
        color = str(rng.choice(COLORS))
        name = f"{color} {kind}"
        k = 2
        while name in names:
            name = f"{color} {kind} {k}"
            k += 1
        names.add(name)
        objs.append(ObjectSpec(name=name, kind=kind, color=color))
    return SceneSpec(objects=objs, seed=seed)


def position_errors(n_scenes: int, seed0: int = 100) -> dict:
    from perception.vision import VisionPerception
    from sim.robot import SimRobot

    errs, missed, total, times = [], 0, 0, []
    worst = ("", 0.0)
    for s in range(seed0, seed0 + n_scenes):
        try:
            robot = SimRobot(random_scene(s))
        except Exception:
            continue  # a layout that does not fit
        vis = VisionPerception(robot)
        t0 = time.perf_counter()
        vis.observe(force=True)
        times.append(time.perf_counter() - t0)
        truth = robot.state().objects
        for n, tr in vis.tracks.items():
            total += 1
            if tr.pos is None or not tr.seen:
                missed += 1
                continue
            e = float(np.linalg.norm(tr.pos[:2] - truth[n].pos[:2]))
            errs.append(e)
            if e > worst[1]:
                worst = (f"seed {s} {n}", e)
        vis.close()
        robot.close()
    return {"objects": total, "missed": missed, "median_mm": 1e3 * statistics.median(errs),
            "p90_mm": 1e3 * float(np.percentile(errs, 90)), "max_mm": 1e3 * max(errs), "worst": worst[0],
            "observe_ms": 1e3 * statistics.median(times)}


_GRASPABLE = ["cup", "can", "block", "trash", "fork", "bowl"]
_TARGETS = {"in": ["bin", "basket", "bowl"], "on": ["tray", "plate", "block"],
            "left_of": list(KINDS), "right_of": list(KINDS), "near": list(KINDS)}


def placement_scene(seed: int, relation: str) -> SceneSpec:
    """An object, a target that suits the relation, and one or two others, random colours."""
    rng = np.random.default_rng(seed)
    tk = str(rng.choice(_TARGETS[relation]))
    ok = [k for k in _GRASPABLE if k != tk]
    kinds = [str(rng.choice(ok)), tk] + [str(rng.choice(_GRASPABLE)) for _ in range(int(rng.integers(1, 3)))]
    objs, names, looks = [], set(), set()
    for k in kinds:
        c = str(rng.choice(COLORS))
        while (k, c) in looks:  # identical look-alikes are told apart only by where they were
            c = str(rng.choice(COLORS))
        looks.add((k, c))
        name, i = f"{c} {k}", 2
        while name in names:
            name, i = f"{c} {k} {i}", i + 1
        names.add(name)
        objs.append(ObjectSpec(name=name, kind=k, color=c))
    return SceneSpec(objects=objs, seed=seed)


def set_pose(robot, name: str, xyz, yaw: float = 0.0) -> None:
    """Put an object somewhere by hand (what a person or a finished skill leaves behind)."""
    import mujoco

    i = robot.names.index(name)
    j = robot.model.joint(f"obj{i}")
    qa, va = j.qposadr[0], j.dofadr[0]
    with robot._lock:
        robot.data.qpos[qa:qa + 3] = xyz
        robot.data.qpos[qa + 3:qa + 7] = [np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)]
        robot.data.qvel[va:va + 6] = 0
        mujoco.mj_forward(robot.model, robot.data)


def sample_placement(rng: np.random.Generator, robot, obj: str, target: str, relation: str) -> None:
    """Set `obj` down in a spot where `relation(obj, target)` holds about half of the time."""
    from sim.kinds import kind_info
    from sim.predicates import top

    st = robot.state().objects
    a, b = kind_info(st[obj].kind), st[target]
    bx, by = b.pos[:2]
    hb = np.asarray(b.size)
    yaw = float(rng.uniform(0, np.pi)) if a.random_yaw else 0.0
    if relation in ("in", "on"):
        spread = (hb[:2] - (kind_info(b.kind).wall if relation == "in" else 0.0)) * 1.1 + 0.005
        xy = np.array([bx, by]) + rng.uniform(-1, 1, 2) * spread
        if rng.random() < 0.3:  # beside it on the table instead
            xy = np.array([bx, by]) + rng.choice([-1, 1]) * np.array([0, hb[1] + a.half[1] + 0.04])
            z = a.half[2] + 0.003
        else:
            floor = b.pos[2] - hb[2] + kind_info(b.kind).floor if relation == "in" else top(b)
            z = floor + a.half[2] + 0.008
    else:
        # Mostly to the sides (where left_of/right_of decide on the 45-degree line), some anywhere.
        side = {"left_of": np.pi / 2, "right_of": -np.pi / 2}.get(relation, rng.choice([np.pi / 2, -np.pi / 2]))
        ang = side + rng.normal(0, 0.6) if rng.random() < 0.7 else rng.uniform(0, 2 * np.pi)
        r = rng.uniform(0.07, 0.3)
        xy = np.array([bx, by]) + r * np.array([np.cos(ang), np.sin(ang)])
        xy = np.clip(xy, [-0.3, -0.44], [0.3, 0.44])
        z = a.half[2] + 0.003
    set_pose(robot, obj, [xy[0], xy[1], z], yaw)
    robot.act(robot.hold_action())
    robot.advance(0.6)


def step_agreement(n_steps: int, seed0: int = 500, per_scene: int = 10) -> dict:
    from perception.vision import VisionPerception
    from sim.predicates import check
    from sim.robot import SimRobot

    rels = ["in", "on", "left_of", "right_of", "near"]
    rng = np.random.default_rng(seed0)
    agree = n = 0
    confusion = {"tp": 0, "tn": 0, "fp": 0, "fn": 0}
    by_rel: dict[str, list[int]] = {r: [0, 0] for r in rels}
    times = []
    seed = seed0
    while n < n_steps:
        rel = rels[(seed - seed0) % len(rels)]
        seed += 1
        try:
            robot = SimRobot(placement_scene(seed, rel))
        except Exception:
            continue
        vis = VisionPerception(robot)
        obj, tgt = robot.names[0], robot.names[1]
        for _ in range(min(per_scene, n_steps - n)):
            robot.reset()
            sample_placement(rng, robot, obj, tgt, rel)
            pred = f"{rel}({obj}, {tgt})"
            truth = check(pred, robot.state())
            t0 = time.perf_counter()
            vis.observe(force=True)
            seen = vis.holds(pred)
            times.append(time.perf_counter() - t0)
            n += 1
            agree += seen == truth
            by_rel[rel][0] += seen == truth
            by_rel[rel][1] += 1
            confusion[("t" if seen == truth else "f") + ("p" if seen else "n")] += 1
        vis.close()
        robot.close()
    return {"steps": n, "agreement": agree / n, "by_relation": {r: f"{a}/{t}" for r, (a, t) in by_rel.items()},
            **confusion, "check_ms": 1e3 * statistics.median(times)}


SENTENCES = [
    "Put the red cup in the bin.", "Stop! Wait a second.", "Move the blue block to the left of the plate.",
    "No, not that one, the other cup.", "From now on, cups go on the tray.", "Hello robot, what are you doing?",
    "Careful, that glass is fragile!", "Hey! Put it down right now!", "Thank you, that was great.",
    "Pick up the fork and put it near the bowl.",
]
VOICES = ["en-us", "en", "en-us+f3", "en-us+m7"]
# Said loudly or in alarm, but words, not screams: the detector must not stop the arm for these.
RAISED = ["No, stop that!", "Stop! Stop it right now!", "Hey! No! Don't do that!", "Watch out! Put it down!",
          "No no no, not the glass!", "Stop!", "Are you kidding me? Put it back!", "Hey, careful with that!"]
SOUND_KINDS = ["alarm", "siren", "glass_breaking", "crash", "scream", "scream+noise", "noise", "speech",
               "speech+noise", "piper speech"]


def _piper():
    """The bundled Piper voice, or None when speech extras are not installed."""
    try:
        from speech.tts import PiperTTS, TTSError
    except ImportError:
        return None
    try:
        return PiperTTS()
    except TTSError:
        return None


def sound_sets(n: int, seed: int = 0) -> dict[str, list[np.ndarray]]:
    """Seeded synthesized events, espeak-ng and Piper speech (if installed) and room noise.
    Each set draws from its own random stream, so changing one generator leaves the others'
    clips as they were."""
    from perception import soundsynth as S

    rngs = {k: np.random.default_rng([seed, i]) for i, k in enumerate(SOUND_KINDS)}
    sets: dict[str, list[np.ndarray]] = {k: [] for k in SOUND_KINDS}
    gen = {"alarm": S.alarm, "siren": S.siren, "glass_breaking": S.glass, "crash": S.crash, "scream": S.scream}
    for i in range(n):
        for k, f in gen.items():
            sets[k].append(f(rngs[k]))
        r = rngs["scream+noise"]
        x = S.scream(r)
        sets["scream+noise"].append(S.mix(x, S.colored_noise(r, seconds=len(x) / 16000, exponent=1.0, level=0.03)))
        r = rngs["noise"]
        sets["noise"].append(S.colored_noise(r, exponent=float(r.choice([1.0, 2.0])), level=float(r.uniform(0.01, 0.2))))
        r = rngs["speech"]
        sp = S.espeak(SENTENCES[i % len(SENTENCES)], voice=VOICES[i % len(VOICES)], speed=int(r.integers(130, 190)))
        if sp is not None:
            sets["speech"].append(sp)
            sets["speech+noise"].append(S.mix(sp, S.colored_noise(r, seconds=len(sp) / 16000, exponent=1.0, level=0.03)))
    tts = _piper()
    if tts is not None:
        from speech.audio import resample

        r = rngs["piper speech"]
        texts = [t for pair in zip(SENTENCES, RAISED) for t in pair] + SENTENCES[len(RAISED):]
        for i in range(n):
            pcm, rate = tts.synthesize(texts[i % len(texts)])
            # Every other clip 2-4 semitones higher (and that much faster): Piper has no
            # shouting style, a higher, tenser voice is the nearest it comes.
            up = 2 ** (r.uniform(2, 4) / 12) if i % 2 else 1.0
            src = int(round(rate * up / 100)) * 100  # a round rate keeps the polyphase filter small
            sets["piper speech"].append(np.clip(resample(pcm, src, 16000) * r.uniform(0.7, 1.4), -1, 1))
    return sets


# The room each set is heard in by the microphone stream: the level of its pink noise, or None
# when the clip is the room itself (steady noise: it was there before and goes on after; a
# loud rumble switched on and off from near silence is a bang, not a room).
STREAM_ROOM: dict[str, float | None] = {"noise": None, "speech+noise": 0.03, "scream+noise": 0.03}


def heard_in_stream(det, x: np.ndarray, rng: np.random.Generator, room: float | None = 0.002) -> list:
    """The cues the live microphone tap raises for `x`: the clip lands at a random moment in a
    room (pink noise at `room` before and after, a quiet one by default) and is fed in 32 ms
    chunks through `SoundEventStream`, whose 0.96 s windows then fall anywhere on it, onset
    and end included. With `room=None` the clip is the whole stream, looped (the synthesized
    noise is circular, so the loop has no seam)."""
    from perception import soundsynth as S
    from perception.sound import SoundEventStream

    # The room is heard for a while first, as a robot's microphone always has been: a sudden
    # sound counts only against what the room did before it (perception.sound).
    lead = int(rng.uniform(1.5, 2.5) * 16000)
    if room is None:
        a = np.resize(x, lead + len(x) + 16000)
    else:
        a = S.colored_noise(rng, seconds=(lead + len(x)) / 16000 + 1.0, exponent=1.0, level=room)
        a[lead:lead + len(x)] += x
    got: list = []
    stream = SoundEventStream(det, got.append)
    for i in range(0, len(a), 512):
        stream.feed(a[i:i + 512])
    return got


def sound_rates(n: int) -> dict[str, dict]:
    """Per set: how often the expected kind (or, for speech and noise, any kind) is found in the
    bare clip (`detect` on it alone: its windows start at the clip's first sample and a tail
    shorter than a window is not seen) and in the microphone stream (`heard_in_stream`)."""
    from perception.sound import SoundEventDetector

    det = SoundEventDetector()
    out = {}
    expected = {"alarm": "alarm", "siren": "alarm", "glass_breaking": "glass_breaking", "crash": "crash",
                "scream": "scream", "scream+noise": "scream"}
    rng = np.random.default_rng(1)
    for name, clips in sound_sets(n).items():
        hits = heard = 0
        kinds: dict[str, int] = {}
        heard_kinds: dict[str, int] = {}
        want = expected.get(name)
        t0 = time.perf_counter()
        for x in clips:
            ev = det.detect(x)
            for e in ev:
                kinds[e.kind] = kinds.get(e.kind, 0) + 1
            hits += any(e.kind == want for e in ev) if want else bool(ev)
            cues = heard_in_stream(det, x, rng, STREAM_ROOM.get(name, 0.002))
            for c in cues:
                heard_kinds[c.kind] = heard_kinds.get(c.kind, 0) + 1
            heard += any(c.kind == want for c in cues) if want else bool(cues)
        m = max(1, len(clips))
        out[name] = {"clips": len(clips), "rate": hits / m, "stream_rate": heard / m, "kinds": kinds,
                     "stream_kinds": heard_kinds, "ms_per_clip": 1e3 * (time.perf_counter() - t0) / m}
    return out


def room_sound_cues(seconds: float = 60.0, seeds: int = 3) -> dict[str, dict]:
    """Per kind of room noise (speech.room, reverb+20db): the cues its own sound raises in the
    microphone stream per minute, and how many windows scored as a crash or breaking glass but
    were set aside as no louder than the room had been."""
    from perception.sound import SoundEventDetector, SoundEventStream
    from speech.room import NOISE_KINDS, Room

    det = SoundEventDetector()
    out: dict[str, dict] = {}
    for kind in NOISE_KINDS:
        cues: list = []
        set_aside = 0
        try:
            for seed in range(seeds):
                room = Room("reverb+20db", seed)
                x = room.mic().process(room.noise(seconds, key=("bench", seed), kind=kind))
                stream = SoundEventStream(det, cues.append)
                for i in range(0, len(x), 512):
                    stream.feed(x[i:i + 512])
                set_aside += stream.room_sounds
        except (FileNotFoundError, ImportError) as e:
            out[kind] = {"error": str(e)}
            continue
        kinds: dict[str, int] = {}
        for c in cues:
            kinds[c.kind] = kinds.get(c.kind, 0) + 1
        out[kind] = {"per_minute": len(cues) / (seeds * seconds / 60), "kinds": kinds, "set_aside": set_aside,
                     "minutes": seeds * seconds / 60}
    return out


def cue_to_rest(trials: int = 5) -> dict:
    """A stop cue 1.0 s into a place step on the real-time executor: time until the arm rests."""
    from agent.events import Cue
    from perception.cue_policy import decide
    from sim.robot import SimRobot
    from skills.builtin.args import PlaceArgs
    from skills.builtin.place import PlaceSkill
    from skills.executor import Executor, RealtimeClock

    scene = SceneSpec(seed=3, objects=[ObjectSpec(name="red cup", kind="cup", color="red"),
                                       ObjectSpec(name="bin", kind="bin", at="right")])
    out = []
    for _ in range(trials):
        robot = SimRobot(scene)
        ex = Executor(robot, RealtimeClock())
        h = ex.start(PlaceSkill(), PlaceArgs(object="red cup", relation="in", target="bin"))
        time.sleep(1.0)
        cue = Cue(source="sound", kind="glass_breaking", severity="critical", detail={"confidence": 0.9})
        t0 = time.perf_counter()
        if decide(cue) == "stop":
            h.cancel("glass breaking heard")
        h.wait(10)
        while robot.arm_speed() > 0.05 and time.perf_counter() - t0 < 5:
            time.sleep(0.005)
        out.append(time.perf_counter() - t0)
        robot.close()
    return {"trials": trials, "median_ms": 1e3 * statistics.median(out), "max_ms": 1e3 * max(out)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_perception")
    ap.add_argument("--scenes", type=int, default=30)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--sounds", type=int, default=50, help="clips per sound set (20 leaves rates +-10 points apart)")
    ap.add_argument("--only", choices=["position", "checks", "sound", "rest"], default=None)
    a = ap.parse_args(argv)
    if a.only in (None, "position"):
        r = position_errors(a.scenes)
        print(f"vision position error over {a.scenes} scenes, {r['objects']} objects: median {r['median_mm']:.1f} mm, "
              f"p90 {r['p90_mm']:.1f} mm, max {r['max_mm']:.1f} mm ({r['worst']}); not found {r['missed']}; "
              f"observe {r['observe_ms']:.0f} ms", flush=True)
    if a.only in (None, "checks"):
        r = step_agreement(a.steps)
        print(f"step checks from vision vs true predicates over {r['steps']} sampled placements: agreement "
              f"{100 * r['agreement']:.1f}% (true pos {r['tp']}, true neg {r['tn']}, false pos {r['fp']}, "
              f"false neg {r['fn']}); by relation {r['by_relation']}; {r['check_ms']:.0f} ms per check", flush=True)
    if a.only in (None, "sound"):
        for name, r in sound_rates(a.sounds).items():
            what = "detection rate" if name in ("alarm", "siren", "glass_breaking", "crash") or "scream" in name \
                else "false-alarm rate"
            print(f"sound {name}: {what} {100 * r['rate']:.0f}% of {r['clips']} bare clips, "
                  f"{100 * r['stream_rate']:.0f}% in the microphone stream; events by kind {r['kinds']}, "
                  f"in the stream {r['stream_kinds']}; "
                  f"{r['ms_per_clip']:.0f} ms per clip", flush=True)
        for kind, r in room_sound_cues().items():
            if "error" in r:
                print(f"room {kind}: not measured ({r['error']})", flush=True)
                continue
            print(f"room {kind} at 20 dB with reverb: {r['per_minute']:.2f} cues per minute over "
                  f"{r['minutes']:.0f} min {r['kinds']}; {r['set_aside']} windows heard as a crash or glass "
                  f"set aside as no louder than the room", flush=True)
    if a.only in (None, "rest"):
        r = cue_to_rest()
        print(f"stop cue to arm at rest (real-time executor, arm speed < 0.05 rad/s): median {r['median_ms']:.0f} ms, "
              f"max {r['max_ms']:.0f} ms over {r['trials']} trials", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
