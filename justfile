# Recipes for codex-memories. `just --list` shows them.

# Format every crate in place.
fmt:
    cargo fmt --all

# Clippy on every target, warnings are errors (as CI runs it).
lint:
    cargo clippy --workspace --all-targets --locked -- -D warnings

# The README's test command.
test:
    cargo test --workspace --locked

# What CI runs: fmt check, clippy, tests, and the fixture checks when ../shared exists.
ci:
    bash .ci/run

# Every benchmark scenario, one process each, as one table (pass --quick for a smoke run).
bench *ARGS:
    cargo run --release --locked -p codex-memories-bench -- {{ARGS}}

# On-demand: the real Codex CLI (from npm) beside codex-memories against a loopback stand-in
# model. Needs npm and python3; not part of CI.
codex-e2e *ARGS:
    bash scripts/codex-e2e.sh {{ARGS}}

# On-demand: the real Claude Code and Gemini CLI (from npm) with `install claude|gemini` against
# loopback stand-in APIs. Needs npm and python3; not part of CI.
agents-e2e *ARGS:
    bash scripts/agents-e2e.sh {{ARGS}}

# On demand, not in CI: a real llama.cpp server (llama-cpp-python, SmolLM2-135M) and extract +
# consolidate with the chat provider over the example home (first run builds llama.cpp, ~12 min).
local-model-e2e:
    bash scripts/local-model-e2e.sh
