//! Helpers the model-facing integration tests share: Responses-API SSE bodies for a wiremock
//! server, and the JSON bodies the server received. Included with `mod mock_model;` (the cli
//! crate's tests include it by `#[path]`).

#![allow(dead_code)] // each test binary uses what it needs

use serde_json::Value;
use wiremock::MockServer;

/// An SSE body: one `event:`/`data:` block per event, named after its `type`.
pub fn sse(events: &[Value]) -> String {
    events
        .iter()
        .map(|event| {
            format!(
                "event: {}\ndata: {event}\n\n",
                event["type"].as_str().unwrap()
            )
        })
        .collect()
}

/// The JSON bodies of every request `server` received, in order.
pub async fn received_bodies(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| request.body_json::<Value>().unwrap())
        .collect()
}
