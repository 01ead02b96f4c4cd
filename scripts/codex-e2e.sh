#!/usr/bin/env bash
# On-demand end-to-end check of codex-memories beside the real Codex CLI: installs
# @openai/codex from npm into a temporary folder, points it at a local stand-in Responses server
# (scripts/standin_api.py, loopback only) and checks what `codex-memories install codex` and the
# memory folder guard do with the real program. Needs npm, python3 and the npm registry; it is
# NOT part of .ci/run. Run it with `just codex-e2e`; paste its output into docs/codex.md.
#
#   CODEX_VERSION=0.169.0 scripts/codex-e2e.sh [--keep]
set -euo pipefail

codex_version=${CODEX_VERSION:-0.169.0}
# shellcheck source=scripts/e2e_common.sh
source "$(dirname "$0")/e2e_common.sh"

echo "== installing @openai/codex@$codex_version from npm"
npm install --silent --no-audit --no-fund --prefix "$work/npm" "@openai/codex@$codex_version" >/dev/null
codex="$work/npm/node_modules/.bin/codex"
echo "   $("$codex" --version)"

start_standin

home="$work/codex-home"
offline_memory "$home"
marker=$(sed -n '2p' "$home/memories/memory_summary.md" | cut -c1-60)
mkdir -p "$work/project"
cat >"$home/config.toml" <<EOF
# written by codex-e2e.sh: a stand-in model on loopback
model = "gpt-5.1-codex-mini"
model_provider = "mock"

[model_providers.mock]
name = "mock"
base_url = "http://127.0.0.1:$port/v1"
wire_api = "responses"
EOF
# codex-memories fully configured: Codex's own [memories] keys we share, our keys in our own file.
cat >>"$home/config.toml" <<EOF

[memories]
version = "v1"
max_rollouts_per_startup = 8
min_rollout_idle_hours = 2
extract_model = "gpt-5.1-codex-mini"
EOF
cat >"$home/codex-memories.toml" <<EOF
provider = "offline"
consolidator = "offline"
concurrency = 2
max_requests_per_run = 50
EOF
cp "$home/config.toml" "$work/config.before"
echo "Prefer small, reviewed commits." >"$home/AGENTS.md"
cp "$home/AGENTS.md" "$work/agents.before"

codex_exec() {
  (cd "$work/project" && CODEX_HOME="$home" timeout 120 "$codex" exec --skip-git-repo-check \
    --strict-config "$1" </dev/null >"$work/last.out" 2>&1)
}

echo "== install codex"
"$bin" --codex-home "$home" install codex --yes | sed 's/^/   /'

echo "== checks"
: >"$requests"
if codex_exec "hello"; then
  pass "codex exec --strict-config succeeds with our MCP server registered and codex-memories fully configured"
else
  fail "codex exec --strict-config failed: $(tail -5 "$work/last.out")"
fi
python3 - "$requests" "$marker" <<'PY' && pass "first request carries our summary block and lists our MCP tools" || fail "first request lacks our summary or tools"
import json, sys
first = json.loads(open(sys.argv[1]).readline())["body"]
text = json.dumps(first)
tools = {t.get("name"): [x.get("name") for x in t.get("tools", [])] for t in first.get("tools", [])}
ours = tools.get("mcp__codex_memories", [])
print(f"   tools in mcp__codex_memories: {sorted(ours)}")
print(f"   summary block present: {'codex-memories:begin' in text}; summary line present: {sys.argv[2] in text}")
sys.exit(0 if "codex-memories:begin" in text and sys.argv[2] in text and "search" in ours else 1)
PY

: >"$requests"
# A global preference of the example memory: the search is scoped to the session's project and
# the global memories, and this session runs outside every example project.
codex_exec "use memory search for: clippy" || true
python3 - "$requests" <<'PY' && pass "a scripted search call returns our search result" || fail "the search call did not return our result"
import json, sys
outputs = []
for line in open(sys.argv[1]):
    for item in json.loads(line)["body"].get("input", []):
        if item.get("type") == "function_call_output":
            outputs.append(item.get("output") if isinstance(item.get("output"), str) else json.dumps(item.get("output")))
hit = [o for o in outputs if ('"hits"' in o or '"matches"' in o) and "clippy" in o]
print(f"   tool outputs seen: {len(outputs)}; with our matches: {len(hit)}")
sys.exit(0 if hit else 1)
PY

new_rollouts=$(find "$home/sessions/$(date -u +%Y)" -name 'rollout-*.jsonl' -newer "$work/config.before" | sort)
unknown=$("$bin" inspect --json $new_rollouts | python3 -c '
import json, sys
print(sum(n for r in json.load(sys.stdin) for k, n in r["items"].items() if "unknown" in k))')
[ "$unknown" = "0" ] && pass "Codex's new rollouts read with 0 unknown kinds" || fail "Codex's new rollouts have $unknown lines of unknown kinds"
"$bin" --codex-home "$home" index >/dev/null
empty_titles=$("$bin" --codex-home "$home" threads --json | python3 -c '
import json, sys
print(sum(1 for t in json.load(sys.stdin) if t["cli_version"] == "'"$codex_version"'" and not t["title"].strip()))')
[ "$empty_titles" = "0" ] && pass "Codex's new sessions have a title in our index" || fail "$empty_titles Codex $codex_version session(s) with an empty title"

cp "$home/config.toml" "$work/config.installed"
printf '\n[features]\nmemories = true\n' >>"$home/config.toml"
before=$(cd "$home/memories" && find . -type f -not -path './.git/*' -exec sha256sum {} + | sort | sha256sum)
if "$bin" --codex-home "$home" run --provider offline --consolidator offline >"$work/refused.out" 2>&1; then
  fail "codex-memories wrote a folder Codex's own pipeline rewrites"
else
  after=$(cd "$home/memories" && find . -type f -not -path './.git/*' -exec sha256sum {} + | sort | sha256sum)
  if [ "$before" = "$after" ] && grep -q "features\] memories = false" "$work/refused.out"; then
    pass "refuses to write into a folder Codex's pipeline owns: $(grep -o 'refusing to write [^:]*' "$work/refused.out" | head -1)"
  else
    fail "the refusal changed the folder or did not name the way out: $(cat "$work/refused.out")"
  fi
fi
cp "$work/config.installed" "$home/config.toml"

"$bin" --codex-home "$home" uninstall codex --yes | sed 's/^/   /'
if cmp -s "$home/config.toml" "$work/config.before" && cmp -s "$home/AGENTS.md" "$work/agents.before"; then
  pass "uninstall restores config.toml and AGENTS.md byte for byte"
else
  fail "uninstall left config.toml or AGENTS.md different from before install"
fi
: >"$requests"
codex_exec "hello" && pass "codex exec --strict-config still succeeds after uninstall" || fail "codex exec fails after uninstall"

finish
