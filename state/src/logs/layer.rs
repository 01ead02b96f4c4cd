//! [`LogLayer`]: the `tracing_subscriber::Layer` that turns each event into a [`LogEntry`] and
//! hands it to the writer with `try_send`. It keeps each span's formatted fields (and its
//! `thread_id`, if it has one) in the span's extensions, so an event only walks its scope; a field
//! recorded again replaces its value (a progress counter recorded a million times stays one
//! field). It never waits: a full queue (in rows or in bytes) drops the event and counts it.
//! Events from the writer's own thread and from the SQL driver are ignored, so logging can never
//! feed back into itself.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{SyncSender, TrySendError};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::Clock;
use crate::logs::writer::{Counters, Message};
use crate::logs::writer_thread::in_log_writer;
use crate::logs::{EXCLUDED_TARGET_PREFIXES, LogEntry, LogLevel};

/// Bodies longer than this many bytes are cut (on a character boundary) and marked.
pub const MAX_LOG_BODY_BYTES: usize = 64 * 1024;
/// The field whose value names the Codex thread an event or span belongs to.
const THREAD_ID_FIELD: &str = "thread_id";
/// A body's first allocation, in bytes: a span chain, a message and a few fields fit.
const BODY_CAPACITY_BYTES: usize = 128;
/// What a cut body ends with.
const TRUNCATION_MARKER: &str = " …[truncated]";

/// The layer feeding the logs DB; build it with [`crate::logs::start_log_writer`].
#[derive(Debug, Clone)]
pub struct LogLayer {
    sender: SyncSender<Message>,
    counters: Arc<Counters>,
    clock: Arc<dyn Clock>,
    process_uuid: &'static str,
}

impl LogLayer {
    pub(crate) fn new(
        sender: SyncSender<Message>,
        counters: Arc<Counters>,
        clock: Arc<dyn Clock>,
        process_uuid: &'static str,
    ) -> Self {
        Self {
            sender,
            counters,
            clock,
            process_uuid,
        }
    }
}

/// A span's fields, kept in its extensions: each field's latest value, in the order the fields
/// were first recorded, the `name=value` text events copy, and the span's `thread_id`.
#[derive(Debug, Default)]
struct SpanFields {
    values: Vec<(&'static str, String)>,
    text: String,
    thread_id: Option<String>,
}

impl SpanFields {
    /// Sets each recorded field to its new value — a field recorded again replaces its value,
    /// never appends another — and rebuilds the text.
    fn record(&mut self, recorded: Vec<(&'static str, String)>) {
        for (name, value) in recorded {
            if name == THREAD_ID_FIELD {
                self.thread_id = Some(value.clone());
            }
            match self.values.iter_mut().find(|(known, _)| *known == name) {
                Some(slot) => slot.1 = value,
                None => self.values.push((name, value)),
            }
        }
        self.text.clear();
        for (name, value) in &self.values {
            if !self.text.is_empty() {
                self.text.push(' ');
            }
            self.text.push_str(name);
            self.text.push('=');
            self.text.push_str(value);
        }
    }
}

/// Collects a span's recorded fields as `(name, value text)` pairs.
#[derive(Default)]
struct FieldCollector {
    recorded: Vec<(&'static str, String)>,
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.recorded.push((field.name(), value.to_owned()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.recorded.push((field.name(), format!("{value:?}")));
    }
}

/// A recorded value: text is copied as it is (no formatting machinery on the logging call's path),
/// anything else is written with its `Debug` form.
#[derive(Clone, Copy)]
enum FieldValue<'a> {
    Str(&'a str),
    Debug(&'a dyn fmt::Debug),
}

impl FieldValue<'_> {
    fn write_to(self, out: &mut String) {
        match self {
            FieldValue::Str(text) => out.push_str(text),
            FieldValue::Debug(value) => {
                let _ = write!(out, "{value:?}");
            }
        }
    }

    fn to_owned_string(self) -> String {
        match self {
            FieldValue::Str(text) => text.to_owned(),
            FieldValue::Debug(value) => format!("{value:?}"),
        }
    }
}

/// Writes an event's fields straight into its body, after the span chain: the message first,
/// then `name=value` pairs, all separated by spaces, so a row costs one string. The `tracing`
/// macros record the message first; one recorded after other fields is moved in front of them.
struct EventWriter<'a> {
    body: &'a mut String,
    /// Where the first non-message field was written (before its separator), if one was.
    fields_at: Option<usize>,
    thread_id: &'a mut Option<String>,
}

impl EventWriter<'_> {
    fn write_value(&mut self, field: &Field, value: FieldValue<'_>) {
        if field.name() == THREAD_ID_FIELD {
            *self.thread_id = Some(value.to_owned_string());
        }
        if field.name() == "message" {
            match self.fields_at {
                None => {
                    if !self.body.is_empty() {
                        self.body.push(' ');
                    }
                    value.write_to(self.body);
                }
                // The fields part already starts with its separator when a chain precedes it.
                Some(0) => {
                    let mut message = value.to_owned_string();
                    message.push(' ');
                    self.body.insert_str(0, &message);
                }
                Some(at) => {
                    let mut message = String::from(" ");
                    value.write_to(&mut message);
                    self.body.insert_str(at, &message);
                }
            }
            return;
        }
        if self.fields_at.is_none() {
            self.fields_at = Some(self.body.len());
        }
        if !self.body.is_empty() {
            self.body.push(' ');
        }
        self.body.push_str(field.name());
        self.body.push('=');
        value.write_to(self.body);
    }
}

impl Visit for EventWriter<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.write_value(field, FieldValue::Str(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write_value(field, FieldValue::Debug(value));
    }
}

fn is_excluded(target: &str) -> bool {
    EXCLUDED_TARGET_PREFIXES
        .iter()
        .any(|prefix| target.starts_with(prefix))
}

impl<S> tracing_subscriber::Layer<S> for LogLayer
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut collector = FieldCollector::default();
        attrs.record(&mut collector);
        let mut fields = SpanFields::default();
        fields.record(collector.recorded);
        span.extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut collector = FieldCollector::default();
        values.record(&mut collector);
        let mut extensions = span.extensions_mut();
        let Some(fields) = extensions.get_mut::<SpanFields>() else {
            return;
        };
        fields.record(collector.recorded);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        if in_log_writer() || is_excluded(metadata.target()) {
            return;
        }
        let mut body = String::with_capacity(BODY_CAPACITY_BYTES);
        let mut thread_id = None;
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                body.push_str(span.name());
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<SpanFields>() {
                    if !fields.text.is_empty() {
                        body.push('{');
                        body.push_str(&fields.text);
                        body.push('}');
                    }
                    // Root to leaf: the last span carrying one is the nearest.
                    if fields.thread_id.is_some() {
                        thread_id.clone_from(&fields.thread_id);
                    }
                }
                body.push(':');
            }
        }
        // The message goes straight after the span chain; other fields follow it.
        let mut event_thread_id = None;
        event.record(&mut EventWriter {
            body: &mut body,
            fields_at: None,
            thread_id: &mut event_thread_id,
        });
        truncate_body(&mut body);
        let now = self.clock.now();
        let entry = LogEntry {
            ts: now.timestamp(),
            ts_nanos: i64::from(now.timestamp_subsec_nanos()),
            level: LogLevel::from(*metadata.level()),
            target: Cow::Borrowed(metadata.target()),
            body,
            thread_id: event_thread_id.or(thread_id),
            process_uuid: Cow::Borrowed(self.process_uuid),
            module_path: metadata.module_path().map(Cow::Borrowed),
            file: metadata.file().map(Cow::Borrowed),
            line: metadata.line(),
        };
        let bytes = entry.queued_bytes();
        if !self.counters.reserve_bytes(bytes) {
            self.dropped_queue_full();
            return;
        }
        match self.counters.try_send(&self.sender, Message::Row(entry)) {
            // Only the event that brings the queue to a batch's worth wakes the writer: each
            // count is reached by exactly one sender, and a writer busy with a backlog does not
            // wait, so the events after it touch nothing more that is shared.
            Ok(queued) => {
                if queued == self.counters.wake_at_queued {
                    self.counters.wake.notify_one();
                }
            }
            Err(TrySendError::Full(_)) => {
                self.counters.release_bytes(bytes);
                self.dropped_queue_full();
            }
            Err(TrySendError::Disconnected(_)) => {
                self.counters.release_bytes(bytes);
                self.counters
                    .dropped_writer_stopped
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl LogLayer {
    /// Counts an event dropped because the queue is full (in rows or bytes) and wakes the writer.
    fn dropped_queue_full(&self) {
        self.counters.wake.notify_one();
        self.counters
            .dropped_queue_full
            .fetch_add(1, Ordering::Relaxed);
        self.counters
            .queue_full_unreported
            .fetch_add(1, Ordering::Relaxed);
    }
}

/// Cuts `body` to [`MAX_LOG_BODY_BYTES`] on a character boundary, marking the cut.
fn truncate_body(body: &mut String) {
    if body.len() <= MAX_LOG_BODY_BYTES {
        return;
    }
    let mut end = MAX_LOG_BODY_BYTES - TRUNCATION_MARKER.len();
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body.truncate(end);
    body.push_str(TRUNCATION_MARKER);
}
