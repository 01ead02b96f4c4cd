#!/usr/bin/env python3
"""A stand-in for the OpenAI Responses API, for scripts/codex-e2e.sh only (never for CI).

Serves POST /v1/responses on 127.0.0.1 with a Server-Sent-Events answer, as the real Codex CLI
expects, and appends every request body to a JSONL log so the script can check what Codex sent.
Scripted turns: when the latest user message asks to "use memory search", the model calls our MCP
server's `search` tool (namespace `mcp__codex_memories`) for the query after "for:"; when the
latest input is a tool output, it answers with that output quoted; otherwise it answers "done".

Usage: codex_standin.py PORT_FILE LOG_FILE   (writes the port it listens on to PORT_FILE)
"""

import http.server
import itertools
import json
import sys

COUNTER = itertools.count(1)
LOG_PATH = None


def sse(event):
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


def last_user_text(items):
    for item in reversed(items):
        if item.get("type") == "message" and item.get("role") == "user":
            parts = item.get("content") or []
            return " ".join(p.get("text", "") for p in parts if isinstance(p, dict))
    return ""


def answer(body):
    items = body.get("input") or []
    last = items[-1] if items else {}
    n = next(COUNTER)
    if last.get("type") == "function_call_output":
        output = last.get("output")
        if not isinstance(output, str):
            output = json.dumps(output)
        return [{"type": "message", "role": "assistant", "id": f"msg_{n}", "status": "completed",
                 "content": [{"type": "output_text", "text": "tool said: " + output[:2000]}]}]
    text = last_user_text(items)
    if "use memory search" in text:
        query = text.split("for:", 1)[1].strip() if "for:" in text else "memory"
        return [{"type": "function_call", "id": f"fc_{n}", "call_id": f"call_{n}",
                 "name": "search", "namespace": "mcp__codex_memories",
                 "arguments": json.dumps({"query": query}), "status": "completed"}]
    return [{"type": "message", "role": "assistant", "id": f"msg_{n}", "status": "completed",
             "content": [{"type": "output_text", "text": "done"}]}]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"unparsed": raw.decode("utf-8", "replace")}
        with open(LOG_PATH, "a", encoding="utf-8") as log:
            log.write(json.dumps({"path": self.path, "body": body}) + "\n")
        if not self.path.rstrip("/").endswith("/responses"):
            self.send_response(404)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        response_id = f"resp_{next(COUNTER)}"
        chunks = [sse({"type": "response.created", "response": {"id": response_id}})]
        for item in answer(body):
            chunks.append(sse({"type": "response.output_item.done", "item": item}))
        chunks.append(sse({"type": "response.completed", "response": {
            "id": response_id,
            "usage": {"input_tokens": 100, "input_tokens_details": {"cached_tokens": 0},
                      "output_tokens": 10, "output_tokens_details": {"reasoning_tokens": 0},
                      "total_tokens": 110}}}))
        payload = b"".join(chunks)
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        # Model listings and the like: an empty, valid answer.
        payload = json.dumps({"object": "list", "data": [], "models": []}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main():
    global LOG_PATH
    port_file, LOG_PATH = sys.argv[1], sys.argv[2]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
