# Shared by the on-demand end-to-end scripts (sourced, not run): a temporary work folder removed
# at exit (kept with --keep), PASS/FAIL lines with a failure count, the codex-memories build, and
# the loopback stand-in model server (scripts/standin_api.py) logging every request it gets.
#
# After sourcing: $repo, $work, $bin; call start_standin, then use $port and $requests.

keep=false
[ "${1:-}" = "--keep" ] && keep=true
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/$(basename "$0" .sh).XXXXXX")
requests="$work/requests.jsonl"
server_pid=""
failures=0

cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  if $keep; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }

echo "== $(basename "$0" .sh) $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "== building codex-memories"
(cd "$repo" && cargo build --locked -q -p codex-memories-cli)
bin="$repo/target/debug/codex-memories"
echo "   $("$bin" --version)"

# Starts the stand-in API on 127.0.0.1 and sets $port.
start_standin() {
  echo "== starting the stand-in model APIs (127.0.0.1)"
  python3 "$repo/scripts/standin_api.py" "$work/port" "$requests" &
  server_pid=$!
  for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
  port=$(cat "$work/port")
}

# Builds a memory offline in the new Codex home $1 from the example sessions (`demo --keep`
# moves their timestamps to yesterday, so they are idle and recent enough to extract).
offline_memory() {
  echo "== building a memory from the example sessions (offline provider)"
  "$bin" demo --keep "$1" >/dev/null
  echo "   $(ls "$1/memories" | tr '\n' ' ')"
}

# Ends the script: the failure count, and the exit code.
finish() {
  echo "== $failures failure(s)"
  [ "$failures" = 0 ]
}
