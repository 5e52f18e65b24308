#!/usr/bin/env python3
"""Drives `mixer-convert convert-all` as a batch user would: a generated tree of small
checkpoints with a broken one among them, an AugReg-style index.csv, a rerun that skips,
three shards run by GNU parallel exactly as the README shows (their union is everything, their
intersection empty), and a batch killed with SIGKILL (parent and children) then rerun.

Usage: check_convert_all.py PATH/TO/mixer-convert
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_onnx import run_checks, tool  # noqa: E402  (same folder)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
MODELS = ["mixer_tiny", "mixer_tiny_fe", "vit_tiny_token", "vit_tiny_gap", "vit_tiny_repr", "r50_vit_tiny"]


def tree(folder, copies):
    """`copies` checkpoints per fixture model in nested folders (one named .NPZ), plus one broken file."""
    names = []
    for index in range(copies):
        for model in MODELS:
            suffix = ".NPZ" if (index, model) == (2, "mixer_tiny") else ".npz"  # the suffix in any case
            relative = os.path.join(f"group{index % 3}", f"run{index}", model + suffix)
            os.makedirs(os.path.join(folder, os.path.dirname(relative)), exist_ok=True)
            shutil.copy(os.path.join(FIXTURES, model, "params.npz"), os.path.join(folder, relative))
            names.append(relative)
    os.makedirs(os.path.join(folder, "broken"), exist_ok=True)
    with open(os.path.join(folder, "broken", "truncated.npz"), "wb") as f:
        f.write(open(os.path.join(FIXTURES, "mixer_tiny", "params.npz"), "rb").read()[:5000])
    return names + [os.path.join("broken", "truncated.npz")]


def report(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def convert_all(binary, tmp, checks):
    """Every check of convert-all, in `tmp`."""
    source = os.path.join(tmp, "checkpoints")
    names = tree(source, 3)
    out = os.path.join(tmp, "exports")
    first = os.path.join(tmp, "first.jsonl")

    print("convert-all over a tree with a broken checkpoint:")
    run = tool(binary, "convert-all", source, "--out-dir", out, "--format", "onnx", "--jobs", "2",
                          "--verify", "--keep-going", "--report", first)
    records = report(first)
    by_status = {status: [r for r in records if r["status"] == status] for status in ["ok", "skipped", "failed"]}
    checks.expect("exit status 2 (one failed), one report line per checkpoint",
                  run.returncode == 2 and len(records) == len(names), f"{run.returncode}, {len(records)}")
    checks.expect("the broken checkpoint failed with its one-line error, the rest converted and verified",
                  len(by_status["failed"]) == 1 and by_status["failed"][0]["input"].endswith("truncated.npz")
                  and "truncated.npz" in by_status["failed"][0]["error"]
                  and len(by_status["ok"]) == len(names) - 1 and all(r["verified"] for r in by_status["ok"]))
    expected = {os.path.join(out, n[:-4] + ".onnx") for n in names if "broken" not in n}
    written = {os.path.join(d, f) for d, _, files in os.walk(out) for f in files}
    checks.expect("outputs mirror the tree, nothing else written (no temporaries)", written == expected,
                  str(sorted(written ^ expected)[:3]))
    checks.expect("the summary table counts them", "converted" in run.stdout and "failed" in run.stdout)

    again = tool(binary, "convert-all", source, "--out-dir", out, "--format", "onnx", "--jobs", "2",
                            "--keep-going", "--report", os.path.join(tmp, "second.jsonl"))
    second = report(os.path.join(tmp, "second.jsonl"))
    checks.expect("a rerun skips every converted checkpoint",
                  again.returncode == 2 and sum(r["status"] == "skipped" for r in second) == len(names) - 1)
    other = tool(binary, "convert-all", source, "--out-dir", out, "--format", "onnx", "--dtype", "float16",
                            "--keep-going")
    checks.expect("other options do not count as up to date (refused without --force)",
                  other.returncode == 2 and "already exists" in other.stderr)

    print("an AugReg-style index.csv:")
    with open(os.path.join(source, "index.csv"), "w") as f:
        f.write("name,filename,lr\n")
        f.write('"tiny, token",group0/run0/vit_tiny_token,0.001\n')
        f.write("gap,group1/run1/vit_tiny_gap.npz,0.03\n")
    listed = tool(binary, "convert-all", os.path.join(source, "index.csv"), "--out-dir",
                             os.path.join(tmp, "csv"), "--report", os.path.join(tmp, "csv.jsonl"))
    rows = report(os.path.join(tmp, "csv.jsonl"))
    checks.expect("names without .npz, quoted fields, the other columns in the report",
                  listed.returncode == 0 and sorted(r["columns"]["name"] for r in rows) == ["gap", "tiny, token"]
                  and os.path.isdir(os.path.join(tmp, "csv", "group0", "run0", "vit_tiny_token")))

    print("three shards run by GNU parallel:")
    sharded = os.path.join(tmp, "sharded")
    command = (f"parallel {binary} convert-all {source} --out-dir {sharded} --keep-going --quiet "
               f"--shard {{}}/3 --report {sharded}-{{}}.jsonl ::: 0 1 2")
    engine = subprocess.run(command, shell=True, capture_output=True, text=True)
    shares = [{r["input"] for r in report(f"{sharded}-{k}.jsonl")} for k in range(3)]
    union = set().union(*shares)
    checks.expect("parallel ran the three shares (one holds the broken checkpoint: exit 1 from parallel)",
                  engine.returncode == 1, engine.stderr.strip()[-120:])
    checks.expect("their union is every checkpoint, their pairwise intersections empty",
                  union == {os.path.join(source, n) for n in names}
                  and all(not (shares[a] & shares[b]) for a in range(3) for b in range(a + 1, 3)),
                  f"{[len(s) for s in shares]}")

    print("killed with SIGKILL, then rerun:")
    killed = os.path.join(tmp, "killed")
    batch = subprocess.Popen([binary, "convert-all", source, "--out-dir", killed, "--keep-going", "--quiet",
                              "--report", os.path.join(tmp, "killed.jsonl")], start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(report(os.path.join(tmp, "killed.jsonl"))
                                         if os.path.exists(os.path.join(tmp, "killed.jsonl")) else []) < 3:
        time.sleep(0.01)
    os.killpg(batch.pid, signal.SIGKILL)
    batch.wait()
    done_before = len(report(os.path.join(tmp, "killed.jsonl")))
    rerun = tool(binary, "convert-all", source, "--out-dir", killed, "--keep-going", "--quiet",
                            "--report", os.path.join(tmp, "rerun.jsonl"))
    statuses = [r["status"] for r in report(os.path.join(tmp, "rerun.jsonl"))]
    bundles = [os.path.join(killed, n[:-4]) for n in names if "broken" not in n]
    verified = all(tool(binary, "verify", os.path.join(source, n), os.path.join(killed, n[:-4])).returncode == 0 for n in names if "broken" not in n)
    leftovers = [os.path.join(d, f) for d, dirs, files in os.walk(killed) for f in files + dirs if f.startswith(".")]
    checks.expect("the rerun converts the rest: every output whole and verified",
                  rerun.returncode == 2 and all(os.path.isdir(b) for b in bundles) and verified,
                  f"{done_before} done before the kill; rerun {statuses.count('skipped')} skipped, "
                  f"{statuses.count('ok')} converted")
    checks.expect("no temporaries are left after the rerun", not leftovers, str(leftovers[:3]))
    killed_while_verifying(binary, tmp, checks)
    leftovers_and_data_files(binary, tmp, checks)
    batch_edges(binary, tmp, checks)
    signalled_while_hashing(binary, tmp, checks)
    killed_after_a_warning(binary, tmp, checks)
    signalled_at_any_step(binary, tmp, checks)
    return []


def signalled_at_any_step(binary, tmp, checks):
    """SIGINT delivered by strace at one system call of the batch (not its children), at 48 points spread over a
    whole run from the program's first calls on, the points taken from a trace of the same batch (calls whose count
    depends on timing, such as the run loop's polls and futexes, left out): every run ends by the signal (status
    130), or, when the signal came after the last conversion had started and could no longer stop, with status 0
    and all done; it leaves every export whole (its files as large as the reference's) or absent and nothing else,
    a report of whole lines, and the checkpoints as they were. Before the handler is installed (about the first 200
    calls) the signal's default action ends the batch (status -2 here) before it has written anything."""
    print("SIGINT at any step of a batch:")
    folder = os.path.join(tmp, "stepped")
    source = os.path.join(folder, "in")
    os.makedirs(source)
    for model in ["mixer_tiny", "vit_tiny_token"]:
        shutil.copy(os.path.join(FIXTURES, model, "params.npz"), os.path.join(source, model + ".npz"))
    originals = {n: open(os.path.join(source, n), "rb").read() for n in os.listdir(source)}
    out, log = os.path.join(folder, "out"), os.path.join(folder, "report.jsonl")
    timed = {"futex", "epoll_wait", "epoll_pwait", "epoll_ctl", "poll", "ppoll", "select", "pselect6", "nanosleep",
             "clock_nanosleep", "sched_yield", "read", "write", "gettid", "getpid", "wait4", "clock_gettime",
             "timerfd_create", "timerfd_settime", "rt_sigreturn"}

    def files():
        return {os.path.relpath(os.path.join(d, f), out): os.path.getsize(os.path.join(d, f))
                for d, _, names in os.walk(out) for f in names}

    def batch(*strace):
        shutil.rmtree(out, ignore_errors=True)
        if os.path.exists(log):
            os.remove(log)
        trace = os.path.join(folder, "trace.txt")
        try:
            run = subprocess.run(["strace", "-qq", "-o", trace, *strace, binary, "convert-all", source, "--out-dir",
                                  out, "--report", log, "--quiet"], capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            run = None
        with open(trace) as f:
            return run, f.read().splitlines()

    whole, calls = batch()
    complete = files()
    seen, points, last_spawn = {}, [], 0
    for line in calls:
        name = line.split("(")[0]
        if name.isidentifier() and name not in timed:
            seen[name] = seen.get(name, 0) + 1
            points.append((name, seen[name]))
            if name == "clone3":
                last_spawn = len(points)
    chosen = [(points[i], i > last_spawn) for i in (j * (len(points) - 1) // 47 for j in range(48))]
    outcomes = []
    for (name, count), late in chosen:
        run, trace = batch("-e", f"trace={name}", "-e", f"inject={name}:signal=INT:when={count}")
        status = None if run is None else run.returncode
        delivered = any(line.startswith("--- SIGINT") for line in trace)
        written = files()
        exports = {f.split(os.sep)[0] for f in written}
        whole_exports = all(written.get(f) == size for f, size in complete.items() if f.split(os.sep)[0] in exports)
        lines = []
        try:
            lines = report(log) if os.path.exists(log) else []
            whole_lines = all(r["status"] in ("ok", "interrupted", "not started") for r in lines)
        except (ValueError, KeyError):
            whole_lines = False
        # A signal once the last conversion had started, too late to stop it, stopped nothing: status 0, all done.
        done = written == complete and len(lines) == 2 and whole_lines and all(r["status"] == "ok" for r in lines)
        ended = status in (130, -signal.SIGINT) or status == 0 and done and late
        fine = ((ended if delivered else status == 0) and set(written) <= set(complete) and whole_exports
                and whole_lines and all(open(os.path.join(source, n), "rb").read() == b for n, b in originals.items()))
        outcomes.append((f"{name}#{count}", status, delivered, fine, sorted(set(written) - set(complete))[:2]))
    checks.expect("the batch alone converts both (the points' reference)",
                  whole is not None and whole.returncode == 0 and len(complete) > 2, f"{sorted(complete)}")
    checks.expect("a SIGINT at any of 48 steps ends the batch, exports whole or absent, the inputs intact",
                  all(o[3] for o in outcomes), str([o for o in outcomes if not o[3]][:3]))
    statuses = [o[1] for o in outcomes]
    checks.expect("the signal came before the handler was installed at some steps, after it at more (status 130); "
                  "nearly all were delivered",
                  statuses.count(-signal.SIGINT) > 0 and statuses.count(130) >= 12
                  and sum(o[2] for o in outcomes) >= 44,
                  f"{statuses.count(-signal.SIGINT)} before the handler, {statuses.count(130)} after, "
                  f"{sum(o[2] for o in outcomes)} delivered")


def killed_after_a_warning(binary, tmp, checks):
    """A conversion of a checkpoint with a NaN weight, which warns on standard error, killed while it verifies: the
    batch names the signal that ended it, not the warning (the last line the child wrote)."""
    print("killed after a warning:")
    import numpy  # the test environment's
    # The real path, as /proc/PID/maps shows it (TMPDIR may be behind a symlink).
    source, out = os.path.join(tmp, "diverged"), os.path.join(os.path.realpath(tmp), "diverged-out")
    os.makedirs(source)
    checkpoint = os.path.join(source, "m.npz")
    tool(binary, "synth", "Mixer-S_32", checkpoint, "--quiet")
    arrays = dict(numpy.load(checkpoint))
    arrays["head/bias"][0] = numpy.nan
    numpy.savez(checkpoint, **arrays)
    shard = "model-00001-of-00001.safetensors"
    for attempt in range(5):
        shutil.rmtree(out, ignore_errors=True)
        batch = subprocess.Popen([binary, "convert-all", source, "--out-dir", out, "--verify", "--quiet"],
                                 stderr=subprocess.PIPE, text=True)
        child = first_child(batch, "convert")
        # Verifying once it maps the shard (in the export staged beside m): its warning is written by then.
        while process_state(child) not in ("Z", None) and not maps(child, out + "/.m.tmp-", shard):
            time.sleep(0.0005)
        caught = process_state(child) not in ("Z", None)
        if caught:
            os.kill(child, signal.SIGKILL)
        stderr = batch.communicate()[1]
        if caught:
            break
    left = sorted(n for n in os.listdir(out) if n.startswith(".m.tmp-")) if os.path.isdir(out) else []
    checks.expect("a conversion killed after its NaN warning fails naming the signal, not the warning",
                  caught and batch.returncode == 2 and "m.npz: mixer-convert convert was stopped by signal 9" in stderr
                  and "NaN" not in stderr, f"caught {caught}, status {batch.returncode}: {stderr.strip()[-160:]}")
    checks.expect("the batch removes what the conversion killed while verifying had staged", caught and not left,
                  f"left {left}")


def maps(pid, prefix, name):
    """Whether process PID has a file named NAME mapped whose path starts with PREFIX (False once it is gone)."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            paths = (line.rstrip("\n").split(" ", 5)[-1].strip() for line in f)
            return any(p.startswith(prefix) and p.endswith("/" + name) for p in paths)
    except OSError:
        return False


def signalled_while_hashing(binary, tmp, checks):
    """A batch sent SIGINT while it hashes a source to check that its output is up to date (each read of the
    source held 40 ms by strace, so the hash of its 73 MB takes 3 s): it stops within a second, rather than once the
    hash is done."""
    print("signalled while hashing a source:")
    source, out = os.path.join(tmp, "hashing"), os.path.join(tmp, "hashing-out")
    os.makedirs(source)
    checkpoint = os.path.join(source, "h.npz")
    tool(binary, "synth", "Mixer-S_32", checkpoint, "--quiet")
    tool(binary, "convert-all", source, "--out-dir", out, "--quiet")
    tracer = subprocess.Popen(["sh", "-c", 'exec strace -qq -o /dev/null -P "$0" -e trace=read '
                               '-e inject=read:delay_enter=40000 "$1" convert-all "$2" --out-dir "$3"',
                               checkpoint, binary, source, out], stdout=subprocess.PIPE, text=True)
    batch = first_child(tracer, "convert-all")
    limit, seen = time.time() + 60, 0
    while batch and time.time() < limit and tracer.poll() is None and seen < 2:  # twice, 10 ms apart
        seen = seen + 1 if hashing_file(batch, os.path.realpath(checkpoint)) else 0
        time.sleep(0.01)
    hashing = seen == 2
    if hashing:
        os.kill(batch, signal.SIGINT)
    signalled = time.time()
    stdout = tracer.communicate(timeout=120)[0]
    took = time.time() - signalled
    rerun = tool(binary, "convert-all", source, "--out-dir", out, "--json")
    checks.expect("a batch sent SIGINT while it hashes a source stops within a second, and a rerun skips the output",
                  hashing and tracer.returncode == 130 and took < 1
                  and bool(re.search(r"interrupted \(stopped under way\) +1\n", stdout))
                  and rerun.returncode == 0 and json.loads(rerun.stdout).get("skipped") == 1,
                  f"hashing {hashing}, status {tracer.returncode} after {took:.2f} s, stdout {stdout!r}; "
                  f"rerun {rerun.returncode} {rerun.stdout[-120:]!r}")


def leftovers_and_data_files(binary, tmp, checks):
    """What a killed writer leaves goes with a run that skips the output; an ONNX data file is removed with its model."""
    print("leftovers of killed writers, ONNX data files:")
    source, out = os.path.join(tmp, "leftovers-in"), os.path.join(tmp, "leftovers-out")
    os.makedirs(source)
    checkpoint = os.path.join(source, "m.npz")
    shutil.copy(os.path.join(FIXTURES, "mixer_tiny", "params.npz"), checkpoint)
    bundle = ["convert-all", source, "--out-dir", out, "--quiet"]
    onnx = bundle + ["--format", "onnx", "--external-data"]
    tool(binary, *bundle)
    tool(binary, *onnx)
    # What a writer killed with SIGKILL leaves (an interrupted --force replacement): its temporaries, recorded in
    # the lock files of the output and of the ONNX data file it was writing.
    ended = subprocess.Popen(["true"])
    ended.wait()
    os.makedirs(os.path.join(out, f".m.tmp-{ended.pid}-1"))
    open(os.path.join(out, f".m.tmp-{ended.pid}-1", "graph.json"), "w").close()
    open(os.path.join(out, f".m.onnx.data.tmp-{ended.pid}-2"), "w").close()
    for lock, name in [(".m.lock", f".m.tmp-{ended.pid}-1"), (".m.onnx.data.lock", f".m.onnx.data.tmp-{ended.pid}-2")]:
        with open(os.path.join(out, lock), "w") as f:
            f.write(name + "\n")
    skipped = [tool(binary, *arguments) for arguments in (bundle, onnx)]
    left = sorted(n for n in os.listdir(out) if n.startswith("."))
    checks.expect("runs that skip an output remove what a killed writer of it left",
                  all(r.returncode == 0 for r in skipped) and not left, f"left {left}")

    # A batch ended by SIGINT (a terminal's Ctrl-C reaches the batch alone) ends its conversion with SIGTERM, which
    # can come more than once: those count as one signal, and the conversion removes its temporary.
    bigger, interrupted = os.path.join(tmp, "leftovers-big"), os.path.join(tmp, "interrupted-out")
    os.makedirs(bigger)
    tool(binary, "synth", "Mixer-S_32", os.path.join(bigger, "n.npz"), "--quiet")
    runs_with_leftovers = []
    for attempt in range(8):
        batch = subprocess.Popen([binary, "convert-all", bigger, "--out-dir", interrupted, "--force", "--quiet"])
        child = first_child(batch, "convert")
        limit = time.time() + 60
        while time.time() < limit and batch.poll() is None and not (
                os.path.isdir(interrupted) and any(".n.tmp-" in n for n in os.listdir(interrupted))):
            time.sleep(0.0005)
        time.sleep(0.01 * (attempt % 4))
        batch.send_signal(signal.SIGINT)
        batch.wait()
        while time.time() < limit and process_state(child) not in ("Z", None):
            time.sleep(0.002)
        left = sorted(n for n in (os.listdir(interrupted) if os.path.isdir(interrupted) else []) if n.startswith("."))
        runs_with_leftovers += [left] if left else []
    checks.expect("a batch interrupted by SIGINT leaves no temporary of its conversion (8 interrupts)",
                  not runs_with_leftovers, str(runs_with_leftovers[:2]))

    # Ctrl-C, or a scheduler's SIGTERM to the batch alone (Kubernetes'): the batch passes the signal on to the
    # conversion under way (held stopped meanwhile, so that it cannot finish first), starts none, prints its summary
    # and ends with 128 + the signal; a rerun converts the rest.
    stopped_in, stopped_out = os.path.join(tmp, "stopped-in"), os.path.join(tmp, "stopped-out")
    os.makedirs(stopped_in)
    for name in "abcd":
        os.link(os.path.join(bigger, "n.npz"), os.path.join(stopped_in, name + ".npz"))
    for number, flags in ((signal.SIGINT, []), (signal.SIGTERM, ["--json"])):
        stopped_report = os.path.join(tmp, f"stopped-{number}.jsonl")

        def reset():
            shutil.rmtree(stopped_out, ignore_errors=True)
            if os.path.exists(stopped_report):
                os.remove(stopped_report)
        batch, stdout, held = batch_signalled(
            binary, [stopped_in, "--out-dir", stopped_out, "--report", stopped_report, *flags], number, reset)
        records = report(stopped_report) if os.path.exists(stopped_report) else []
        left = sorted(n for n in os.listdir(stopped_out) if n.startswith(".")) if os.path.isdir(stopped_out) else []
        if flags:
            summary = json.loads(stdout) if stdout.strip().startswith("{") else {}
            told = summary.get("stopped_by_signal") == number and summary.get("not_started") == 3 and \
                summary.get("interrupted") == 1 and summary.get("failed") == 0
        else:
            told = bool(re.search(r"interrupted \(stopped under way\) +1\n", stdout)) and \
                bool(re.search(r"not started \(interrupted\) +3\n", stdout)) and \
                "stopped by SIGINT: run the same command" in stdout and "failed: " not in stdout
        checks.expect(f"a batch sent {signal.Signals(number).name} stops its conversion under way, starts no other, "
                      f"says so ({'--json' if flags else 'text'}) and ends with {128 + number}",
                      held and batch.returncode == 128 + number and told and len(records) == 1
                      and records[0]["status"] == "interrupted" and f"signal {number}" in records[0]["error"]
                      and not left,
                      f"held {held}, status {batch.returncode}, records {records}, left {left}, stdout {stdout!r}")
        rerun = tool(binary, "convert-all", stopped_in, "--out-dir", stopped_out, "--json")
        totals = json.loads(rerun.stdout) if rerun.returncode == 0 else {}
        checks.expect(f"after {signal.Signals(number).name}, a rerun converts the rest",
                      totals.get("ok") == 4, f"{rerun.returncode}: {rerun.stdout} {rerun.stderr}")

    # A batch's conversion gets a second signal after the one its batch passed on (the SIGTERM of the batch's death,
    # a terminal's second Ctrl-C) while it commits (its fsync held 3 s by strace): it still removes what it wrote.
    committing = os.path.join(tmp, "committing")
    os.makedirs(committing)
    tracer = subprocess.Popen(["sh", "-c", "exec strace -f -qq -o /dev/null -e trace=fsync "
                               "-e inject=fsync:delay_enter=3000000:when=1 env MIXER_CONVERT_PARENT_PID=$$ "
                               '"$0" "$1" "$2" --quiet', binary, os.path.join(bigger, "n.npz"),
                               os.path.join(committing, "n")])
    conversion = held_in_fsync(tracer, os.path.join(bigger, "n.npz"))
    syncing = conversion is not None
    if syncing:
        os.kill(conversion, signal.SIGTERM)
        time.sleep(0.3)
        os.kill(conversion, signal.SIGTERM)
    tracer.wait()
    left = sorted(n for n in os.listdir(committing) if n.startswith("."))
    checks.expect("a batch's conversion signalled twice while it commits still removes its temporary",
                  syncing and tracer.returncode == 128 + signal.SIGTERM and not left,
                  f"held in fsync {syncing}, status {tracer.returncode}, left {left}")

    # An ONNX model with external data signalled while its data file is synced for its commit (held 2 s by strace):
    # that commit completes, the model's does not, and the new data file goes too, never left with no model.
    external = os.path.join(tmp, "external")
    os.makedirs(external)
    tracer = subprocess.Popen(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync",
                               "-e", "inject=fsync:delay_enter=2000000:when=1", binary, checkpoint,
                               os.path.join(external, "e.onnx"), "--external-data", "--quiet"])
    conversion = held_in_fsync(tracer, os.path.join(external, "e.onnx"))
    syncing = conversion is not None
    if syncing:
        os.kill(conversion, signal.SIGTERM)
    tracer.wait()
    checks.expect("an ONNX model signalled while its data file is committed leaves no data file without a model",
                  syncing and tracer.returncode == 128 + signal.SIGTERM and os.listdir(external) == [],
                  f"held in fsync {syncing}, status {tracer.returncode}, left {sorted(os.listdir(external))}")

    # An --external-data export that fails verification loses its data file while the model's lock is held: a run
    # converting the output meanwhile is refused, rather than losing its new data file of the same name.
    model = os.path.join(out, "m.onnx")
    data = os.path.join(out, next(n for n in os.listdir(out) if n.endswith(".data")))
    with open(data, "r+b") as f:
        f.seek(-4, os.SEEK_END)
        f.write(b"\x00\x00\x80\x3f")
    open(os.path.join(out, ".m.onnx.unverified"), "w").close()
    slow = subprocess.Popen(["strace", "-qq", "-o", "/dev/null", "-P", data, "-e", "trace=unlink,unlinkat",
                             "-e", "inject=unlink,unlinkat:delay_enter=2000000",
                             binary, *onnx, "--verify", "--no-checksum"], stderr=subprocess.PIPE, text=True)
    limit = time.time() + 60
    while time.time() < limit and slow.poll() is None and os.path.exists(model):
        time.sleep(0.002)
    meanwhile = tool(binary, "convert", checkpoint, model, "--external-data", "--quiet")
    stderr = slow.communicate()[1]
    final = tool(binary, "verify", checkpoint, model) if os.path.exists(model) else None
    checks.expect("a drifting ONNX export's data file goes under its model's lock: a run converting it meanwhile is "
                  "refused, or keeps its own",
                  slow.returncode == 2 and "the export was removed" in stderr
                  and (meanwhile.returncode == 2 and "another process is writing it" in meanwhile.stderr
                       and sorted(os.listdir(out)) == ["m"]
                       or final is not None and final.returncode == 0),
                  f"meanwhile {meanwhile.returncode} {meanwhile.stderr.strip()[-80:]}; then "
                  f"{final and final.returncode} {sorted(os.listdir(out))}")


def batch_edges(binary, tmp, checks):
    """Paths starting with -, errors under --quiet, a report whose last line was cut short."""
    print("names starting with -, --quiet, a report cut short:")
    folder = os.path.join(tmp, "edges")
    os.makedirs(folder)
    shutil.copy(os.path.join(FIXTURES, "mixer_tiny", "params.npz"), os.path.join(folder, "-x.npz"))
    with open(os.path.join(folder, "bad.npz"), "w") as f:
        f.write("hello")

    def batch(*arguments):
        return subprocess.run([binary, "convert-all", *arguments], cwd=folder, capture_output=True, text=True)

    dashed = batch("--out-dir=-out", "--verify", "--", "-x.npz")
    checks.expect("a checkpoint and an out-dir starting with - convert and verify",
                  dashed.returncode == 0 and os.path.isdir(os.path.join(folder, "-out", "-x")), dashed.stdout[-200:])
    quiet = batch("--quiet", "--out-dir", "q", "--", "bad.npz")
    checks.expect("--quiet prints each failure, in one line naming the checkpoint",
                  quiet.returncode == 2 and quiet.stdout == "" and quiet.stderr.count("\n") == 1
                  and "bad.npz" in quiet.stderr, repr(quiet.stderr))
    with open(os.path.join(folder, "r.jsonl"), "w") as f:
        f.write('{"partial":')
    batch("--quiet", "--out-dir", "r", "--report", "r.jsonl", "--", "-x.npz")
    with open(os.path.join(folder, "r.jsonl")) as f:
        lines = f.read().splitlines()
    checks.expect("a report whose last line was cut short is ended before this run's lines",
                  len(lines) == 2 and lines[0] == '{"partial":' and json.loads(lines[1])["status"] == "ok", str(lines))
    batch("--quiet", "--out-dir", "r", "--report", "r.jsonl", "--force", "--", "-x.npz")
    with open(os.path.join(folder, "r.jsonl")) as f:
        grown = f.read().splitlines()
    checks.expect("and the next run appends to it (a first line cut short is still a report's)",
                  len(grown) == 3 and grown[:2] == lines, str(grown))
    with open(os.path.join(folder, "bom.jsonl"), "w", encoding="utf-8-sig") as f:
        f.write(grown[1] + "\n")
    bom = batch("--quiet", "--out-dir", "r", "--report", "bom.jsonl", "--force", "--", "-x.npz")
    checks.expect("a report an editor saved with a byte-order mark is still appended to",
                  bom.returncode == 0 and len(open(os.path.join(folder, "bom.jsonl")).read().splitlines()) == 2,
                  bom.stderr.strip())
    shutil.copy(os.path.join(FIXTURES, "mixer_tiny", "params.npz"), os.path.join(folder, "other.npz"))
    subprocess.run([binary, "./-x.npz", "m.onnx", "--quiet"], cwd=folder, check=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        f.write('{\n  "input": "x",\n  "status": "ok"\n}\n')
    os.mkfifo(os.path.join(folder, "list.fifo"))
    with open(os.path.join(folder, "list.bin"), "wb") as f:
        f.write(bytes(range(256)))
    for name, reason in [("list.fifo", "is a FIFO, device or socket, not a regular file"),
                         ("list.bin", "is not UTF-8 text, so not a list of checkpoints")]:
        listed = batch("--quiet", "--out-dir", "l", "--", name)
        checks.expect(f"a list that cannot be one ({name}) is refused in one line with the reason",
                      listed.returncode == 2 and listed.stderr == f"mixer-convert: error: {name}: {reason}\n",
                      repr(listed.stderr))
    for name in ["m.onnx", "other.npz", "config.json"]:
        before = open(os.path.join(folder, name), "rb").read()
        refused = batch("--quiet", "--out-dir", "z", "--report", name, "--", "-x.npz")
        checks.expect(f"a --report naming {name}, not a report, is refused in one line and left as it was",
                      refused.returncode == 2 and refused.stderr.count("\n") == 1
                      and f"--report {name}: exists and is not a convert-all report" in refused.stderr
                      and open(os.path.join(folder, name), "rb").read() == before
                      and not os.path.exists(os.path.join(folder, "z")), refused.stderr.strip())


def killed_while_verifying(binary, tmp, checks):
    """A batch killed (SIGKILL to its process group; its conversion, in a group of its own, gets the SIGTERM it asks
    for at its parent's death) while it verifies an export, which is verified before its commit:
    nothing is in place, and the rerun converts it. An output left marked as unverified (by a run killed after its
    commit and before it cleared the mark) is verified by the rerun rather than skipped as done; an unverified
    output that drifts is removed."""
    print("killed while verifying, then rerun:")
    source = os.path.join(tmp, "verifying")
    os.makedirs(source)
    tool(binary, "synth", "Mixer-S_32", os.path.join(source, "m.npz"), "--quiet")
    # The real path, as /proc/PID/maps shows it (TMPDIR may be behind a symlink).
    out = os.path.join(os.path.realpath(tmp), "verifying-out")
    output, mark = os.path.join(out, "m"), os.path.join(out, ".m.unverified")
    for attempt in range(5):
        shutil.rmtree(out, ignore_errors=True)
        batch = subprocess.Popen([binary, "convert-all", source, "--out-dir", out, "--verify", "--threads", "1",
                                  "--quiet"], start_new_session=True)
        child = first_child(batch, "convert")
        while process_state(child) not in ("Z", None) and not maps(child, out + "/.m.tmp-",
                                                                   "model-00001-of-00001.safetensors"):
            time.sleep(0.0005)
        caught = process_state(child) not in ("Z", None)
        os.killpg(batch.pid, signal.SIGKILL)
        batch.wait()
        if caught:
            break
    # The conversion, in a process group of its own, gets the SIGTERM it asked for at its parent's death: it stops
    # verifying at its next weight or step and removes the export it staged.
    limit = time.time() + 30
    while time.time() < limit and process_state(child) not in ("Z", None):
        time.sleep(0.002)
    staged = [n for n in os.listdir(out) if n.startswith(".m.tmp-")]
    checks.expect("killed while verifying: the conversion stops at once, removing what it staged; nothing is in place",
                  caught and not os.path.exists(output) and not staged and batch.returncode == -signal.SIGKILL
                  and time.time() < limit,
                  f"caught {caught}, status {batch.returncode}, output {os.path.exists(output)}, staged {staged}")
    rerun_report = os.path.join(tmp, "verifying.jsonl")
    rerun = tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--report", rerun_report)
    records = report(rerun_report)
    checks.expect("the rerun converts and verifies it, and leaves no mark nor temporary",
                  rerun.returncode == 0 and [(r["status"], r.get("verified")) for r in records] == [("ok", True)]
                  and sorted(os.listdir(out)) == ["m"],
                  f"status {rerun.returncode}, {[(r['status'], r.get('verified')) for r in records]}, "
                  f"{sorted(os.listdir(out))}: {rerun.stderr.strip()[-200:]}")
    open(mark, "w").close()
    rerun = tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--report", rerun_report)
    records = report(rerun_report)
    checks.expect("an output marked as unverified is verified by the rerun instead of skipped, and the mark cleared",
                  rerun.returncode == 0 and [(r["status"], r.get("verified")) for r in records[1:]] == [("verified", True)]
                  and "verified (converted by an earlier run)" in rerun.stdout and not os.path.exists(mark),
                  f"status {rerun.returncode}, {[(r['status'], r.get('verified')) for r in records]}")
    again = tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--report", rerun_report)
    checks.expect("the next rerun skips it", again.returncode == 0 and report(rerun_report)[-1]["status"] == "skipped",
                  report(rerun_report)[-1]["status"])

    # An output left unverified whose weights were changed since (the up-to-date check reads the header, not
    # the weights): verifying it finds the difference, and it is removed like any export that fails.
    shard = next(os.path.join(output, f) for f in os.listdir(output) if f.endswith(".safetensors"))
    with open(shard, "r+b") as f:
        f.seek(-4, os.SEEK_END)
        f.write(b"\x00\x00\x80\x3f")  # 1.0 in the last weight
    open(mark, "w").close()
    corrupt = tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--report", rerun_report)
    checks.expect("one whose checksum fails stays, marked, with the remedy (its checkpoint may be all there is)",
                  corrupt.returncode == 2 and "stays marked as unverified, as verifying it failed" in corrupt.stderr
                  and "CRC-32C" in corrupt.stderr and "--force" in corrupt.stderr and os.path.isdir(output)
                  and os.path.exists(mark), corrupt.stderr.strip()[-160:])
    drifted = tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--no-checksum", "--report",
                   rerun_report)
    last = report(rerun_report)[-1]
    checks.expect("an unverified output that fails verification is removed, with its mark",
                  drifted.returncode == 2 and last["status"] == "failed" and last["verified"] is False
                  and "the export was removed" in last["error"] and not os.path.exists(output)
                  and not os.path.exists(mark), f"status {drifted.returncode}: {last.get('error')}")

    # A plain --force run (no --verify, so no mark of its own) that replaces an export while a --verify run is
    # verifying it: the export that drifted is gone, and the failing run leaves the replacement alone; a passing
    # run leaves its mark, so the next --verify run verifies the replacement.
    replace = ["convert-all", source, "--out-dir", out, "--force", "--quiet"]
    for drifting in (True, False):
        for attempt in range(5):
            tool(binary, *replace)
            if drifting:
                shard = next(os.path.join(output, f) for f in os.listdir(output) if f.endswith(".safetensors"))
                with open(shard, "r+b") as f:
                    f.seek(-4, os.SEEK_END)
                    f.write(b"\x00\x00\x80\x3f")
            open(mark, "w").close()
            racing_report = os.path.join(tmp, "racing.jsonl")
            racing, stderr, caught = replaced_while_verifying(
                binary, ["convert-all", source, "--out-dir", out, "--verify", "--no-checksum", "--threads", "1",
                         "--report", racing_report], lambda: tool(binary, *replace))
            if caught:
                break
        after = tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--report", rerun_report)
        verdict = report(rerun_report)[-1]
        if drifting:
            checks.expect("a failing verification leaves an export that another run put there since",
                          caught and racing.returncode == 2 and "another run has replaced it since" in stderr
                          and after.returncode == 0 and verdict["status"] == "verified",
                          f"caught {caught}, status {racing.returncode}: {stderr.strip()[-150:]}; "
                          f"then {after.returncode} {verdict['status']}")
        else:
            noted = any("replaced by another run since" in n for n in report(racing_report)[-1].get("notes", []))
            checks.expect("a passing verification keeps the mark of an export another run put there since, and "
                          "its report line says so",
                          caught and racing.returncode == 0 and noted and after.returncode == 0
                          and verdict["status"] == "verified",
                          f"caught {caught}, status {racing.returncode}, noted {noted}; "
                          f"then {after.returncode} {verdict['status']}")

    # Likewise a repair made inside the export meanwhile (a good shard copied over the drifting one, in place):
    # any of its files changed since the verification keeps it.
    tool(binary, *replace)
    shard = next(os.path.join(output, f) for f in os.listdir(output) if f.endswith(".safetensors"))
    good = open(shard, "rb").read()
    for attempt in range(5):
        with open(shard, "r+b") as f:
            f.seek(-4, os.SEEK_END)
            f.write(b"\x00\x00\x80\x3f")
        open(mark, "w").close()

        def repair():
            time.sleep(0.02)  # past the file system's clock tick
            with open(shard, "r+b") as f:
                f.write(good)
        racing, stderr, caught = replaced_while_verifying(
            binary, ["convert-all", source, "--out-dir", out, "--verify", "--no-checksum", "--threads", "1"], repair)
        if caught:
            break
    repaired = tool(binary, "verify", os.path.join(source, "m.npz"), output)
    checks.expect("a failing verification leaves an export repaired in place since",
                  caught and racing.returncode == 2 and "replaced it since" in stderr and repaired.returncode == 0,
                  f"caught {caught}, status {racing.returncode}: {stderr.strip()[-120:]}; repaired {repaired.returncode}")
    tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--quiet")

    # A re-verification whose child is stopped by a signal (a scheduler's SIGTERM) is no failure of the export:
    # it stays marked for the next --verify run, which the message says, rather than advising --force.
    def marked():
        open(mark, "w").close()
        return lambda child: True
    stopped, stderr = child_stopped(binary, ["convert-all", source, "--out-dir", out, "--verify", "--quiet"],
                                    "verify", marked)
    rerun = tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--report", rerun_report)
    checks.expect("a re-verification stopped by SIGTERM keeps its mark and says the next --verify run verifies it",
                  stopped.returncode == 2 and "its verification was stopped" in stderr and "signal 15" in stderr
                  and "the next --verify run verifies it" in stderr and "--force" not in stderr
                  and rerun.returncode == 0 and report(rerun_report)[-1]["status"] == "verified",
                  f"status {stopped.returncode}: {stderr.strip()[-150:]}; then {report(rerun_report)[-1]['status']}")

    # A conversion stopped while it verifies its new export, before the commit: nothing is written, the old output
    # stays as it was and as unmarked, and the message claims no export left marked.
    before = os.stat(output).st_ino
    stopped, stderr = child_stopped(
        binary, ["convert-all", source, "--out-dir", out, "--verify", "--force", "--quiet"], "convert",
        lambda: lambda child: maps(child, os.path.realpath(out) + "/.m.tmp-", "model-00001-of-00001.safetensors"))
    rerun = tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--report", rerun_report)
    checks.expect("a conversion stopped while verifying leaves the old output as it was, unmarked",
                  stopped.returncode == 2 and "signal 15" in stderr and "marked" not in stderr
                  and os.stat(output).st_ino == before and not os.path.exists(mark)
                  and sorted(os.listdir(out)) == ["m"]
                  and rerun.returncode == 0 and report(rerun_report)[-1]["status"] == "skipped",
                  f"status {stopped.returncode}: {stderr.strip()[-150:]}; {sorted(os.listdir(out))}, "
                  f"then {report(rerun_report)[-1]['status']}")
    shutil.rmtree(output)

    # An export that fails verification but cannot be deleted whole (a file in it is immutable) is moved away
    # first, never half-visible; once deletable, what is left goes with the next --verify run's conversion.
    small_in, small_out = os.path.join(tmp, "stuck-in"), os.path.join(tmp, "stuck-out")
    os.makedirs(small_in)
    shutil.copy(os.path.join(FIXTURES, "mixer_tiny", "params.npz"), os.path.join(small_in, "t.npz"))
    tool(binary, "convert-all", small_in, "--out-dir", small_out, "--quiet")
    small_shard = os.path.join(small_out, "t", "model-00001-of-00001.safetensors")
    with open(small_shard, "r+b") as f:
        f.seek(-4, os.SEEK_END)
        f.write(b"\x00\x00\x80\x3f")
    open(os.path.join(small_out, ".t.unverified"), "w").close()
    subprocess.run(["chattr", "+i", os.path.join(small_out, "t", "graph.json")], check=True)
    stuck = tool(binary, "convert-all", small_in, "--out-dir", small_out, "--verify", "--no-checksum")
    moved = [n for n in os.listdir(small_out) if n.startswith(".t.tmp-")]
    gone = not os.path.exists(os.path.join(small_out, "t"))
    for name in moved:
        subprocess.run(["chattr", "-i", os.path.join(small_out, name, "graph.json")], check=True)
    retried = tool(binary, "convert-all", small_in, "--out-dir", small_out, "--verify", "--quiet")
    checks.expect("an export that cannot be deleted is moved away whole, said so, and cleared by the next run",
                  stuck.returncode == 2 and "was moved to" in stuck.stderr and "graph.json" in stuck.stderr
                  and "could not be deleted" in stuck.stderr and gone and len(moved) == 1
                  and retried.returncode == 0 and sorted(os.listdir(small_out)) == ["t"],
                  f"{stuck.stderr.strip()[-150:]}; then {retried.returncode} {sorted(os.listdir(small_out))}")

    # A batch killed before its conversion committed leaves the mark beside no output: a run without --verify
    # converts it and keeps the mark (nothing verified it), the next --verify run verifies it and removes the mark.
    open(mark, "w").close()
    plain = tool(binary, "convert-all", source, "--out-dir", out, "--quiet")
    kept = os.path.exists(mark)
    verifying = tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--report", rerun_report)
    checks.expect("a mark beside no output stays until a --verify run has verified the output",
                  plain.returncode == 0 and kept and verifying.returncode == 0
                  and report(rerun_report)[-1]["status"] == "verified" and sorted(os.listdir(out)) == ["m"],
                  f"status {plain.returncode}, {verifying.returncode}, kept {kept}, {sorted(os.listdir(out))}")

    # A second batch over the same outputs while the first converts one (a requeued job, a shard run twice) is
    # refused that output and leaves the first's mark alone: the first clears its own mark when it is done.
    shutil.rmtree(out)
    first = subprocess.Popen([binary, "convert-all", source, "--out-dir", out, "--verify", "--threads", "1",
                              "--quiet"], start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and first.poll() is None and not (
            os.path.isdir(out) and any(n.startswith(".m.tmp-") for n in os.listdir(out))):
        time.sleep(0.002)
    firsts_mark = open(mark).read() if os.path.exists(mark) else None
    second = tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--quiet")
    mark_meanwhile = open(mark).read() if os.path.exists(mark) else None
    first.wait()
    after = tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--report", rerun_report)
    checks.expect("a second batch does not take the first's mark, which the first clears once it has verified",
                  second.returncode == 2 and "another process is writing it" in second.stderr
                  and firsts_mark is not None and mark_meanwhile == firsts_mark and first.returncode == 0
                  and not os.path.exists(mark) and report(rerun_report)[-1]["status"] == "skipped",
                  f"second {second.returncode} {second.stderr.strip()[-80:]}, mark kept {mark_meanwhile == firsts_mark}, "
                  f"first {first.returncode}, then {report(rerun_report)[-1]['status']}")

    # A conversion killed on its own (the OOM killer, an operator) fails its checkpoint, naming it and the signal.
    batch, stderr = batch_with_child_killed(binary, source, "--out-dir", out, "--force", "--quiet")
    checks.expect("a conversion killed alone fails with its checkpoint and the signal named",
                  batch.returncode == 2 and "m.npz: mixer-convert convert was stopped by signal 9" in stderr,
                  f"status {batch.returncode}: {stderr.strip()[-120:]}")

    # With --verify, one killed before its commit leaves the old output as it was, unmarked: the next run skips it
    # rather than reporting it "verified (converted by an earlier run)".
    before = os.stat(output).st_ino
    batch, stderr = batch_with_child_killed(binary, source, "--out-dir", out, "--force", "--verify", "--quiet")
    untouched = os.stat(output).st_ino == before
    after = tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--report", rerun_report)
    checks.expect("a --verify --force conversion that fails before its commit leaves the old output unmarked",
                  batch.returncode == 2 and untouched and after.returncode == 0
                  and report(rerun_report)[-1]["status"] == "skipped",
                  f"status {batch.returncode}, untouched {untouched}, then {report(rerun_report)[-1]['status']}")
    open(mark, "w").close()
    batch, stderr = batch_with_child_killed(binary, source, "--out-dir", out, "--force", "--verify", "--quiet")
    untouched = os.stat(output).st_ino == before
    after = tool(binary, "convert-all", source, "--out-dir", out, "--verify", "--report", rerun_report)
    checks.expect("one over a marked output keeps the mark, and claims no export written",
                  batch.returncode == 2 and untouched and "written" not in stderr and after.returncode == 0
                  and report(rerun_report)[-1]["status"] == "verified",
                  f"status {batch.returncode}: {stderr.strip()[-100:]}, then {report(rerun_report)[-1]['status']}")


def replaced_while_verifying(binary, arguments, replace):
    """Runs mixer-convert ARGUMENTS, stops it once its `verify` child has read the export and ended (a zombie until
    the batch resumes), calls `replace`, and resumes it: the batch, its stderr, and whether the window was caught
    (the child may end before it is seen)."""
    batch = subprocess.Popen([binary, *arguments], start_new_session=True, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    child = first_child(batch, "verify")
    if child is not None:
        os.kill(batch.pid, signal.SIGSTOP)
        while process_state(child) not in ("Z", None):
            time.sleep(0.002)
    caught = child is not None and process_state(child) == "Z"
    if caught:
        replace()
    if child is not None:
        os.kill(batch.pid, signal.SIGCONT)
    return batch, batch.communicate()[1], caught


def child_stopped(binary, arguments, command, prepare):
    """Runs mixer-convert ARGUMENTS and sends SIGTERM to its `command` child once the condition `prepare()` gives
    (called before each try, then given the child's PID) holds; tried again (up to 5 times) while the child
    finishes first: the batch and its stderr."""
    for attempt in range(5):
        ready = prepare()
        batch = subprocess.Popen([binary, *arguments], stderr=subprocess.PIPE, text=True)
        child = first_child(batch, command)
        limit = time.time() + 60
        while time.time() < limit and process_state(child) not in ("Z", None) and not ready(child):
            time.sleep(0.001)
        if process_state(child) not in ("Z", None):
            os.kill(child, signal.SIGTERM)
        stderr = batch.communicate()[1]
        if batch.returncode != 0:
            break
    return batch, stderr


def batch_signalled(binary, arguments, number, reset):
    """After `reset()`, runs `convert-all ARGUMENTS`, holds its first conversion with SIGSTOP, sends signal NUMBER
    to the batch alone, and lets the conversion go on half a second later; tried again (up to 5 times) while the
    conversion finishes before it is held: the batch, its stdout, and whether the conversion was held."""
    for attempt in range(5):
        reset()
        batch = subprocess.Popen([binary, "convert-all", *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        child = first_child(batch, "convert")
        held = False
        if child is not None:
            os.kill(child, signal.SIGSTOP)
            limit = time.time() + 10
            while time.time() < limit and process_state(child) not in ("T", "Z", None):
                time.sleep(0.001)
            held = process_state(child) == "T"
        batch.send_signal(number)
        if held:
            time.sleep(0.5)
            os.kill(child, signal.SIGCONT)
        stdout = batch.communicate(timeout=120)[0]
        if held:
            break
    return batch, stdout, held


def batch_with_child_killed(binary, *arguments):
    """Runs `convert-all ARGUMENTS`, SIGKILLs its conversion as soon as it starts; the batch and its stderr."""
    batch = subprocess.Popen([binary, "convert-all", *arguments], stderr=subprocess.PIPE, text=True)
    child = first_child(batch, "convert")
    if child is not None:
        os.kill(child, signal.SIGKILL)
    return batch, batch.communicate()[1]


def first_child(batch, command):
    """The first child process of `batch` with COMMAND among its arguments, waited for (up to 60 s); None when
    the batch ends first. A child still running its parent's arguments is passed over: a fork not yet turned into
    its program, or a probe of strace's own (strace forks one at start to test ptrace, which then ends)."""
    limit = time.time() + 60
    while time.time() < limit and batch.poll() is None:
        parent = command_line(batch.pid)
        for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
            if parent_of(pid) == batch.pid and command in (arguments := command_line(pid)) and arguments != parent:
                return pid
    return None


def hashing_file(pid, path):
    """Whether `pid` reads `path` (a real path) through a descriptor of its own, a whole number of MiB and at least
    4 MiB in, while another descriptor holds it open elsewhere (as a batch does while it hashes a checkpoint whose
    directory it read)."""
    try:
        offsets = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            if os.readlink(f"/proc/{pid}/fd/{fd}") == path:
                with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                    offsets.add(int(f.readline().split()[1]))
        return len(offsets) > 1 and any(o >= 4 << 20 and o % (1 << 20) == 0 for o in offsets)
    except (OSError, IndexError, ValueError):
        return False


def held_in_fsync(tracer, command):
    """The child of TRACER (an strace holding fsync) with COMMAND among its arguments, once it is in fsync (waited for
    up to 60 s); None when it never is."""
    conversion = first_child(tracer, command)
    limit = time.time() + 60
    while conversion and time.time() < limit and tracer.poll() is None and not in_syscall(conversion, 74):  # fsync
        time.sleep(0.005)
    return conversion if conversion is not None and in_syscall(conversion, 74) else None


def in_syscall(pid, number):
    """Whether a thread of `pid` is in system call `number` (x86-64 numbering)."""
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/syscall") as f:
                if f.read().split()[0] == str(number):
                    return True
    except (OSError, IndexError):
        pass
    return False


def process_state(pid):
    """The state letter of `pid` (`Z` for a zombie), None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def command_line(pid):
    """The arguments `pid` was started with (empty once it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [arg.decode() for arg in f.read().split(b"\0")]
    except OSError:
        return []


def parent_of(pid):
    """The parent process of `pid` (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def main():
    # A background job (make test under nohup, say) starts with SIGINT ignored, and its children inherit that: the
    # batches these checks interrupt with SIGINT would go on. A handled signal is reset to the default in a child.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    run_checks("check_convert_all", convert_all)

if __name__ == "__main__":
    main()
