"""CI part d: a run directory's files read by the formats' reference implementations.

    python check_formats.py RUN_DIR LIBRARY_VIEW.json RESUME_STEP

RUN_DIR is a quickstart run that was resumed from its checkpoint at RESUME_STEP with another LR
(scripts/ci/d-formats.sh); LIBRARY_VIEW.json is what this library's own readers return for it
(scripts/ci/dump-run.js). Checks, each failing with a line that says what differs:

  safetensors  every checkpoint file loads with safetensors.torch.load_file, with the same
               tensor names, dtypes, shapes and bytes (hence values) as lib/checkpoint's reader,
               and the same metadata (safe_open.metadata());
  events       tensorboard's LegacyEventFileLoader (no data migration) reads every event file, record for record equal to
               lib/logging's reader (steps, scalar values, histogram fields, the SessionLog START);
  purge        tensorboard's EventAccumulator, which applies the SessionLog START: every scalar tag
               present; per tag, the first session's points up to RESUME_STEP (the checkpoint's own
               step kept) and then the resumed session's, none twice; the resumed session's values
               where the two differ (the LR changed); train/ and val/ equal to metrics.jsonl;
  histograms   weights/<p> and gradients/<p> for every model tensor p, at the steps of epochs 4
               and 8 (LOGGING.HISTOGRAM_INTERVAL_EPOCHS: 4, 64 steps an epoch), the last from the
               resumed session.
Prints one line per check and exits 1 when any failed.
"""
import glob
import hashlib
import json
import os
import struct
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader

run_dir, view_path, resume_step = sys.argv[1], sys.argv[2], int(sys.argv[3])
view = json.load(open(view_path))
failures = []


def check(name, problems, summary):
    if problems:
        failures.append(name)
        print(f"FAIL {name}: {len(problems)} problem(s); first: " + "; ".join(problems[:5]))
    else:
        print(f"ok   {name}: {summary}")


def f32(x):
    """A double rounded to float32, as TensorBoard stores simple_value."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


# ---- safetensors ------------------------------------------------------------------------------
DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
          torch.uint8: "U8", torch.bool: "BOOL"}
problems, n_tensors = [], 0
files = sorted(glob.glob(os.path.join(run_dir, "checkpoints", "*", "*.safetensors")))
if sorted(view["checkpoints"]) != sorted(os.path.relpath(f, os.path.join(run_dir, "checkpoints")) for f in files):
    problems.append(f"files: library {sorted(view['checkpoints'])} vs on disk {files}")
for f in files:
    key = os.path.relpath(f, os.path.join(run_dir, "checkpoints"))
    lib = view["checkpoints"].get(key, {"tensors": {}, "metadata": {}})
    ref = load_file(f)
    with safe_open(f, framework="pt") as h:
        meta = h.metadata() or {}
    if meta != lib["metadata"]:
        problems.append(f"{key}: metadata {meta} vs library {lib['metadata']}")
    if sorted(ref) != sorted(lib["tensors"]):
        problems.append(f"{key}: tensors {sorted(ref)} vs library {sorted(lib['tensors'])}")
    for name, t in ref.items():
        want = lib["tensors"].get(name)
        if want is None:
            continue
        n_tensors += 1
        data = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        got = {"dtype": DTYPES.get(t.dtype, str(t.dtype)), "shape": list(t.shape), "sha256": hashlib.sha256(data).hexdigest()}
        if got != want:
            problems.append(f"{key}: {name}: safetensors {got} vs library {want}")
check("safetensors", problems, f"{len(files)} files, {n_tensors} tensors equal to lib/checkpoint's reader")

# ---- events, record for record ----------------------------------------------------------------
tb_dir = os.path.join(run_dir, "tensorboard")
event_files = sorted(glob.glob(os.path.join(tb_dir, "*tfevents*")))
problems, n_records = [], 0
if [os.path.basename(f) for f in event_files] != [e["file"] for e in view["eventFiles"]]:
    problems.append(f"files: {event_files} vs library {[e['file'] for e in view['eventFiles']]}")


def reference_record(ev):
    r = {"step": ev.step, "scalars": [], "histograms": [], "start": False}
    if ev.HasField("session_log"):
        r["start"] = ev.session_log.status == ev.session_log.START
    for v in ev.summary.value:
        if v.HasField("simple_value"):
            r["scalars"].append([v.tag, v.simple_value])
        elif v.HasField("histo"):
            h = v.histo
            r["histograms"].append([v.tag, h.num, h.min, h.max, h.sum, h.sum_squares, list(h.bucket_limit), list(h.bucket)])
    return r


def library_record(ev):
    return {
        "step": ev["step"],
        "scalars": [[s["tag"], f32(s["value"])] for s in ev.get("scalars", [])],
        "histograms": [[h["tag"], h["num"], h["min"], h["max"], h["sum"], h["sumSquares"], h["bucketLimit"], h["bucket"]]
                       for h in ev.get("histograms", [])],
        "start": ev.get("sessionStatus") == 1,
    }


sessions = []  # per file: the library's records
for path, lib in zip(event_files, view["eventFiles"]):
    ref = [reference_record(e) for e in LegacyEventFileLoader(path).Load()]
    mine = [library_record(e) for e in lib["events"]]
    if lib["truncated"]:
        problems.append(f"{lib['file']}: the library's reader found a torn last record")
    if len(ref) != len(mine):
        problems.append(f"{lib['file']}: {len(ref)} records for tensorboard, {len(mine)} for the library")
    for i, (a, b) in enumerate(zip(ref, mine)):
        if a != b:
            problems.append(f"{lib['file']} record {i}: tensorboard {json.dumps(a)[:200]} vs library {json.dumps(b)[:200]}")
            break
    n_records += len(ref)
    sessions.append(mine)
check("events", problems, f"{len(event_files)} files, {n_records} records equal to lib/logging's reader")

# ---- the purge after the resume ---------------------------------------------------------------
problems = []
if len(sessions) != 2:
    problems.append(f"expected 2 event files (run, resumed run), found {len(sessions)}")
    sessions = (sessions + [[], []])[:2]
first, second = sessions
starts = [r["step"] for r in second if r["start"]]
if starts != [resume_step + 1]:
    problems.append(f"resumed session's SessionLog START steps {starts}, expected [{resume_step + 1}] (the step after the checkpoint)")


def points(records, tag):
    return [(r["step"], v) for r in records for t, v in r["scalars"] if t == tag]


acc = event_accumulator.EventAccumulator(tb_dir, size_guidance={"scalars": 0, "histograms": 0})
acc.Reload()
tags = sorted({t for s in sessions for r in s for t, _ in r["scalars"]})
if sorted(acc.Tags()["scalars"]) != tags:
    problems.append(f"scalar tags: tensorboard {sorted(acc.Tags()['scalars'])} vs written {tags}")
stale = 0
for tag in tags:
    want = [p for p in points(first, tag) if p[0] <= resume_step] + points(second, tag)
    stale += sum(1 for s, _ in points(first, tag) if s > resume_step)
    got = [(e.step, e.value) for e in acc.Scalars(tag)] if tag in acc.Tags()["scalars"] else []
    if got != want:
        i = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w), min(len(got), len(want)))
        problems.append(f"{tag}: from point {i} on, tensorboard shows {got[i:i + 2]}, expected {want[i:i + 2]}")
    if len({s for s, _ in got}) != len(got):
        problems.append(f"{tag}: a step shown twice")
if stale == 0:
    problems.append(f"the first session logged nothing after step {resume_step}: the resume left nothing to purge")
lr_first = dict(points(first, "lr/default"))
if not any(lr_first.get(s) not in (None, v) for s, v in points(second, "lr/default")):
    problems.append("lr/default: the resumed session's values equal the first's, so the purge is not observable")
if not any(s == resume_step for s, _ in points(first, "val/loss")):
    problems.append(f"val/loss: the first session logged none at the checkpoint step {resume_step}")
# train/ and val/ against metrics.jsonl (the library drops its lines past the checkpoint on resume)
metrics = [json.loads(l) for l in open(os.path.join(run_dir, "metrics.jsonl")) if l.strip()]
from_metrics = {}
for rec in metrics:
    if rec["split"] not in ("train", "val"):
        continue
    for k, v in rec.items():
        if k in ("step", "epoch", "split", "lr") or not isinstance(v, (int, float)):
            continue
        from_metrics.setdefault(f"{rec['split']}/{k}", []).append((rec["step"], f32(v)))
for tag, want in sorted(from_metrics.items()):
    got = [(e.step, e.value) for e in acc.Scalars(tag)] if tag in acc.Tags()["scalars"] else []
    if got != want:
        problems.append(f"{tag}: tensorboard {got[-3:]} vs metrics.jsonl {want[-3:]}")
check("purge", problems, f"{len(tags)} scalar tags ({', '.join(tags)}); {stale} stale points purged; START at {resume_step + 1}; "
      f"{len(from_metrics)} tags equal to metrics.jsonl")

# ---- histograms -------------------------------------------------------------------------------
problems = []
model = load_file(os.path.join(run_dir, "checkpoints", f"step-{resume_step:08d}", "model.safetensors"))
want_tags = sorted([f"weights/{p}" for p in model] + [f"gradients/{p}" for p in model])
if sorted(acc.Tags()["histograms"]) != want_tags:
    problems.append(f"histogram tags: {sorted(acc.Tags()['histograms'])} vs {want_tags}")
last_from_second = {h[0]: h for r in second for h in r["histograms"]}
for tag in want_tags:
    got = acc.Histograms(tag) if tag in acc.Tags()["histograms"] else []
    if [h.step for h in got] != [4 * 64, 8 * 64]:
        problems.append(f"{tag}: steps {[h.step for h in got]}, expected [256, 512]")
        continue
    h, mine = got[-1].histogram_value, last_from_second.get(tag)
    if mine is None or [h.num, h.min, h.max, h.sum] != mine[1:5]:
        problems.append(f"{tag}: step 512 is not the resumed session's ({[h.num, h.min, h.max, h.sum]} vs {mine and mine[1:5]})")
check("histograms", problems, f"{len(want_tags)} tags at steps 256 and 512 (512 from the resumed session)")

sys.exit(1 if failures else 0)
