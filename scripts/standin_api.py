#!/usr/bin/env python3
"""Stand-ins for the model APIs three agents speak, for the on-demand end-to-end scripts only
(scripts/codex-e2e.sh, scripts/agents-e2e.sh; never for CI). Listens on 127.0.0.1 and answers
Codex (POST /v1/responses, the Responses API), Claude Code (POST /v1/messages) and Gemini CLI
(POST /v1beta/models/<model>:streamGenerateContent / :generateContent / :countTokens) with
Server-Sent Events or JSON as each expects, and appends every request body to a JSONL log so the
script can check what each agent sent.

Scripted turns: when the latest user text asks to "use memory search for: X", the model calls our
MCP server's search tool (found in the request's tool list) with query X; when the latest input
is that tool's result, it answers with the result quoted; otherwise it answers "done".

Usage: standin_api.py PORT_FILE LOG_FILE   (writes the port it listens on to PORT_FILE)
"""

import http.server
import itertools
import json
import re
import sys

COUNTER = itertools.count(1)
LOG_PATH = None
TRIGGER = "use memory search for:"


def search_tool_name(names):
    """Our MCP search tool among the request's tool names."""
    for name in names:
        lowered = name.lower().replace("_", "-")
        if "codex-memories" in lowered and lowered.endswith("search"):
            return name
    return "search" if "search" in names else None


# ---- OpenAI Responses (Codex) ------------------------------------------------------------

def responses_event(event):
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


def responses_user_text(items):
    for item in reversed(items):
        if item.get("type") == "message" and item.get("role") == "user":
            parts = item.get("content") or []
            return " ".join(p.get("text", "") for p in parts if isinstance(p, dict))
    return ""


def responses_answer(body):
    items = body.get("input") or []
    last = items[-1] if items else {}
    n = next(COUNTER)
    if last.get("type") == "function_call_output":
        output = last.get("output")
        if not isinstance(output, str):
            output = json.dumps(output)
        return [{"type": "message", "role": "assistant", "id": f"msg_{n}", "status": "completed",
                 "content": [{"type": "output_text", "text": "tool said: " + output[:2000]}]}]
    text = responses_user_text(items)
    if TRIGGER in text:
        query = text.split(TRIGGER, 1)[1].strip()
        return [{"type": "function_call", "id": f"fc_{n}", "call_id": f"call_{n}",
                 "name": "search", "namespace": "mcp__codex_memories",
                 "arguments": json.dumps({"query": query}), "status": "completed"}]
    return [{"type": "message", "role": "assistant", "id": f"msg_{n}", "status": "completed",
             "content": [{"type": "output_text", "text": "done"}]}]


def responses_stream(body):
    response_id = f"resp_{next(COUNTER)}"
    chunks = [responses_event({"type": "response.created", "response": {"id": response_id}})]
    for item in responses_answer(body):
        chunks.append(responses_event({"type": "response.output_item.done", "item": item}))
    chunks.append(responses_event({"type": "response.completed", "response": {
        "id": response_id,
        "usage": {"input_tokens": 100, "input_tokens_details": {"cached_tokens": 0},
                  "output_tokens": 10, "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": 110}}}))
    return b"".join(chunks)


# ---- Anthropic Messages -------------------------------------------------------------------

def anthropic_text(content):
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if block.get("type") == "text":
            parts.append(block.get("text", ""))
    return " ".join(parts)


def deferred_search_tool(body):
    """Claude Code lists MCP tools as deferred (loaded through ToolSearch) in its messages."""
    names = re.findall(r"mcp__codex[-_]memories__search", json.dumps(body))
    return names[0] if names else None


def trigger_query(messages):
    for message in messages:
        text = anthropic_text(message.get("content"))
        if message.get("role") == "user" and TRIGGER in text:
            return text.split(TRIGGER, 1)[1].strip()
    return None


def tool_use(name, arguments):
    return [{"type": "tool_use", "id": f"toolu_{next(COUNTER)}", "name": name,
             "input": arguments}], "tool_use"


def anthropic_answer(body):
    # Claude Code may end the list with a `system` message (its environment): skip those.
    messages = [m for m in body.get("messages") or [] if m.get("role") in ("user", "assistant")]
    last = messages[-1] if messages else {}
    content = last.get("content")
    direct = search_tool_name([t.get("name", "") for t in body.get("tools") or []])
    deferred = deferred_search_tool(body)
    if isinstance(content, list):
        results = [b for b in content if b.get("type") == "tool_result"]
        if results:
            called = {}
            for message in messages:
                if message.get("role") == "assistant" and isinstance(message.get("content"), list):
                    for block in message["content"]:
                        if block.get("type") == "tool_use":
                            called[block.get("id")] = block.get("name")
            name = called.get(results[-1].get("tool_use_id"))
            if name == "ToolSearch" and (direct or deferred):
                return tool_use(direct or deferred, {"query": trigger_query(messages) or "memory"})
            inner = results[-1].get("content")
            text = inner if isinstance(inner, str) else json.dumps(inner)
            return [{"type": "text", "text": "tool said: " + text[:2000]}], "end_turn"
    text = anthropic_text(content)
    if TRIGGER in text:
        query = text.split(TRIGGER, 1)[1].strip()
        if direct:
            return tool_use(direct, {"query": query})
        if deferred:
            return tool_use("ToolSearch", {"query": f"select:{deferred}", "max_results": 5})
    return [{"type": "text", "text": "done"}], "end_turn"


def anthropic_stream(body):
    blocks, stop = anthropic_answer(body)
    n = next(COUNTER)
    events = [("message_start", {"type": "message_start", "message": {
        "id": f"msg_{n}", "type": "message", "role": "assistant", "model": body.get("model", "m"),
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 100, "output_tokens": 1}}})]
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                           "content_block": {"type": "text", "text": ""}}))
            events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                           "delta": {"type": "text_delta", "text": block["text"]}}))
        else:
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                           "content_block": {"type": "tool_use", "id": block["id"],
                                             "name": block["name"], "input": {}}}))
            events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                           "delta": {"type": "input_json_delta",
                                     "partial_json": json.dumps(block["input"])}}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(("message_delta", {"type": "message_delta",
                   "delta": {"stop_reason": stop, "stop_sequence": None},
                   "usage": {"output_tokens": 10}}))
    events.append(("message_stop", {"type": "message_stop"}))
    return b"".join(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events)


def anthropic_json(body):
    blocks, stop = anthropic_answer(body)
    return json.dumps({"id": f"msg_{next(COUNTER)}", "type": "message", "role": "assistant",
                       "model": body.get("model", "m"), "content": blocks, "stop_reason": stop,
                       "stop_sequence": None,
                       "usage": {"input_tokens": 100, "output_tokens": 10}}).encode()


# ---- Gemini -------------------------------------------------------------------------------

def gemini_answer(body):
    contents = body.get("contents") or []
    last = contents[-1] if contents else {}
    parts = last.get("parts") or []
    responses = [p["functionResponse"] for p in parts if "functionResponse" in p]
    if responses:
        return [{"text": "tool said: " + json.dumps(responses[-1].get("response"))[:2000]}]
    text = " ".join(p.get("text", "") for p in parts if "text" in p)
    if TRIGGER in text:
        names = [d.get("name", "") for t in body.get("tools") or []
                 for d in t.get("functionDeclarations") or []]
        name = search_tool_name(names)
        if name:
            return [{"functionCall": {"name": name,
                                      "args": {"query": text.split(TRIGGER, 1)[1].strip()}}}]
    return [{"text": "done"}]


def gemini_chunk(body):
    return {"candidates": [{"content": {"role": "model", "parts": gemini_answer(body)},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 10,
                              "totalTokenCount": 110}}


# ---- server -------------------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, content_type, payload):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("content-length", "0")))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"unparsed": raw.decode("utf-8", "replace")}
        with open(LOG_PATH, "a", encoding="utf-8") as log:
            log.write(json.dumps({"path": self.path, "body": body}) + "\n")
        path = self.path.split("?", 1)[0]
        if path.rstrip("/").endswith("/responses"):
            self.reply(200, "text/event-stream", responses_stream(body))
        elif path.endswith("/v1/messages/count_tokens"):
            self.reply(200, "application/json", b'{"input_tokens": 100}')
        elif path.endswith("/v1/messages"):
            if body.get("stream"):
                self.reply(200, "text/event-stream", anthropic_stream(body))
            else:
                self.reply(200, "application/json", anthropic_json(body))
        elif path.endswith(":streamGenerateContent"):
            self.reply(200, "text/event-stream",
                       f"data: {json.dumps(gemini_chunk(body))}\r\n\r\n".encode())
        elif path.endswith(":generateContent"):
            self.reply(200, "application/json", json.dumps(gemini_chunk(body)).encode())
        elif path.endswith(":countTokens"):
            self.reply(200, "application/json", b'{"totalTokens": 100}')
        else:
            self.reply(200, "application/json", b"{}")

    def do_GET(self):
        self.reply(200, "application/json", b'{"data": [], "models": []}')


def main():
    global LOG_PATH
    port_file, LOG_PATH = sys.argv[1], sys.argv[2]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
