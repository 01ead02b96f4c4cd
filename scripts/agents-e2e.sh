#!/usr/bin/env bash
# On-demand end-to-end check of `codex-memories install claude|gemini` with the real Claude Code
# and Gemini CLI: installs both from npm into a temporary folder, points them at a loopback
# stand-in API (scripts/standin_api.py) in a temporary $HOME, and checks that each agent's
# first request carries our summary and lists our MCP tools, that a scripted search call returns
# our result, that the sessions they record are indexed, and that uninstall gives the files back.
# Needs npm, python3 and the npm registry; NOT part of .ci/run. Run it with `just agents-e2e`.
#
#   CLAUDE_VERSION=2.1.328 GEMINI_VERSION=0.61.0 scripts/agents-e2e.sh [--keep]
set -euo pipefail

claude_version=${CLAUDE_VERSION:-2.1.328}
gemini_version=${GEMINI_VERSION:-0.61.0}
# shellcheck source=scripts/e2e_common.sh
source "$(dirname "$0")/e2e_common.sh"

echo "== installing @anthropic-ai/claude-code@$claude_version and @google/gemini-cli@$gemini_version"
npm install --silent --no-audit --no-fund --prefix "$work/npm" \
  "@anthropic-ai/claude-code@$claude_version" "@google/gemini-cli@$gemini_version" >/dev/null 2>&1
claude="$work/npm/node_modules/.bin/claude"
gemini="$work/npm/node_modules/.bin/gemini"
echo "   claude $("$claude" --version)"
echo "   gemini $("$gemini" --version)"

start_standin

export HOME="$work/home"
unset CLAUDE_CONFIG_DIR
mkdir -p "$HOME/.claude" "$HOME/.gemini" "$work/project"
codex_home="$work/codex-home"
printf '{\n  "security": {\n    "auth": {\n      "selectedType": "gemini-api-key"\n    }\n  }\n}\n' \
  >"$HOME/.gemini/settings.json"
echo "Prefer small diffs." >"$HOME/.claude/CLAUDE.md"

run_claude() {
  (cd "$work/project" && ANTHROPIC_BASE_URL="http://127.0.0.1:$port" ANTHROPIC_API_KEY=sk-ant-stand-in \
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 \
    timeout 180 "$claude" -p "$1" --allowedTools "mcp__codex-memories__search" </dev/null \
    >"$work/last.out" 2>&1)
}
run_gemini() {
  (cd "$work/project" && GEMINI_API_KEY=stand-in GOOGLE_GEMINI_BASE_URL="http://127.0.0.1:$port" \
    GEMINI_CLI_TRUST_WORKSPACE=true timeout 240 "$gemini" -p "$1" --yolo </dev/null \
    >"$work/last.out" 2>&1)
}

echo "== recording a first session with each agent (before install)"
run_claude "hello: in this repo always use uv, never pip" || fail "claude -p failed: $(tail -3 "$work/last.out")"
run_gemini "hello: in this repo always use uv, never pip" || fail "gemini -p failed: $(tail -3 "$work/last.out")"
cp "$HOME/.claude/CLAUDE.md" "$work/claude-md.before"
cp "$HOME/.gemini/settings.json" "$work/gemini-settings.before"

offline_memory "$codex_home" >/dev/null

echo "== install claude, install gemini"
"$bin" --codex-home "$codex_home" install claude --yes | grep -v '^[-+ @]' | sed 's/^/   /'
"$bin" --codex-home "$codex_home" install gemini --yes | grep -v '^[-+ @]' | sed 's/^/   /'

echo "== checks"
check_first_request() {
  python3 - "$requests" "$1" "$2" <<'PY'
import json, re, sys
path, kind, tool = sys.argv[1:]
for line in open(path):
    entry = json.loads(line)
    wanted = "/v1/messages" in entry["path"] if kind == "claude" else "streamGenerateContent" in entry["path"]
    if not wanted:
        continue
    text = json.dumps(entry["body"])
    has_block = "Memories from earlier sessions (codex-memories)" in text
    tools = sorted(set(re.findall(tool, text)))
    print(f"   {kind}: summary block in the request: {has_block}; our tools: {tools}")
    sys.exit(0 if has_block and tools else 1)
print(f"   {kind}: no request seen")
sys.exit(1)
PY
}
: >"$requests"
# A global preference of the example memory: search is scoped to the session's project and the
# global memories, and these sessions run outside every example project.
run_claude "use memory search for: clippy" || true
check_first_request claude 'mcp__codex-memories__[a-z_]+' \
  && pass "Claude Code's first request carries our summary and lists our MCP tools" \
  || fail "Claude Code's request lacks our summary or tools"
grep -Eq '"(hits|matches)"' "$work/last.out" && grep -q clippy "$work/last.out" \
  && pass "Claude Code: a scripted search call returns our search result" \
  || fail "Claude Code: the search call did not return our result: $(tail -2 "$work/last.out")"

: >"$requests"
run_gemini "use memory search for: clippy" || true
check_first_request gemini 'mcp_codex-memories_[a-z_]+' \
  && pass "Gemini CLI's first request carries our summary and lists our MCP tools" \
  || fail "Gemini CLI's request lacks our summary or tools"
grep -Eq '(hits|matches)' "$work/last.out" && grep -q clippy "$work/last.out" \
  && pass "Gemini CLI: a scripted search call returns our search result" \
  || fail "Gemini CLI: the search call did not return our result: $(tail -2 "$work/last.out")"

echo "== the agents' own sessions"
if "$bin" --codex-home "$codex_home" index --json >"$work/index.json" 2>"$work/index.err"; then
  "$bin" --codex-home "$codex_home" threads --json >"$work/threads.json"
  python3 - "$work/threads.json" <<'PY' && pass "Claude Code and Gemini CLI sessions are indexed with a title and their agent" || fail "the agents' sessions are not indexed with a title and agent"
import json, sys
threads = json.load(open(sys.argv[1]))
by_agent = {}
for thread in threads:
    by_agent.setdefault(thread.get("agent", "codex"), []).append(thread)
for agent in ("claude", "gemini"):
    rows = by_agent.get(agent, [])
    titled = [t for t in rows if t.get("title", "").strip()]
    print(f"   {agent}: {len(rows)} session(s), {len(titled)} with a title")
sys.exit(0 if all(any(t.get("title", "").strip() for t in by_agent.get(a, [])) for a in ("claude", "gemini")) else 1)
PY
else
  fail "index failed: $(tail -2 "$work/index.err")"
fi

echo "== uninstall"
python3 - "$HOME/.claude.json" >"$work/claude-json.expected" <<'PY'
import json, sys
value = json.load(open(sys.argv[1]))
value["mcpServers"].pop("codex-memories", None)
if not value["mcpServers"]:
    value.pop("mcpServers")
print(json.dumps(value, sort_keys=True))
PY
"$bin" --codex-home "$codex_home" uninstall claude --yes >/dev/null
"$bin" --codex-home "$codex_home" uninstall gemini --yes >/dev/null
python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))' "$HOME/.claude.json" >"$work/claude-json.after"
if cmp -s "$work/claude-md.before" "$HOME/.claude/CLAUDE.md" && cmp -s "$work/claude-json.expected" "$work/claude-json.after"; then
  pass "uninstall claude: CLAUDE.md byte for byte, ~/.claude.json as Claude Code left it minus our entry"
else
  fail "uninstall claude left CLAUDE.md or ~/.claude.json different"
fi
if cmp -s "$work/gemini-settings.before" "$HOME/.gemini/settings.json" && [ ! -e "$HOME/.gemini/GEMINI.md" ]; then
  pass "uninstall gemini: settings.json byte for byte, GEMINI.md (created by install) removed"
else
  fail "uninstall gemini left settings.json or GEMINI.md different"
fi

finish
