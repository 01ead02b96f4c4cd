//! The reader reports each bad line with its number and reason and reads the rest of the file;
//! only an unreadable source ends a read, with an error naming the file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::io::{Cursor, Write};
use std::path::Path;

use codex_protocol::{BadLine, BadLineReason, RolloutError, RolloutReader};
use pretty_assertions::assert_eq;

const GOOD: &str = r#"{"timestamp":"2025-11-17T21:30:28.664Z","type":"event_msg","payload":{"type":"agent_message","message":"ok"}}"#;

fn read(bytes: Vec<u8>, max_line_bytes: Option<usize>) -> (Vec<u64>, Vec<BadLine>) {
    let mut reader =
        RolloutReader::from_reader(Path::new("t.jsonl"), Cursor::new(bytes), false).unwrap();
    if let Some(max) = max_line_bytes {
        reader = reader.with_max_line_bytes(max);
    }
    let mut good = Vec::new();
    while let Some((number, _)) = reader.next_line().unwrap() {
        good.push(number);
    }
    (good, reader.bad_lines().to_vec())
}

#[test]
fn a_truncated_final_line_is_reported_and_the_rest_is_read() {
    let text = format!("{GOOD}\n{GOOD}\n{}", &GOOD[..40]);
    let (good, bad) = read(text.into_bytes(), None);
    assert_eq!(good, vec![1, 2]);
    assert_eq!(
        bad,
        vec![BadLine {
            line_number: 3,
            reason: BadLineReason::TruncatedFinalLine { bytes: 40 }
        }]
    );
}

#[test]
fn a_complete_final_line_without_newline_is_accepted() {
    let (good, bad) = read(format!("{GOOD}\n{GOOD}").into_bytes(), None);
    assert_eq!(good, vec![1, 2]);
    assert_eq!(bad, vec![]);
}

#[test]
fn an_invalid_utf8_line_is_reported_with_its_number() {
    let mut bytes = format!("{GOOD}\n").into_bytes();
    bytes.extend_from_slice(b"{\"type\":\"event_msg\",\"x\":\"\xff\xfe\"}\n");
    bytes.extend_from_slice(format!("{GOOD}\n").as_bytes());
    let (good, bad) = read(bytes, None);
    assert_eq!(good, vec![1, 3]);
    assert_eq!(
        bad,
        vec![BadLine {
            line_number: 2,
            reason: BadLineReason::InvalidUtf8 { at_byte: 25 }
        }]
    );
}

#[test]
fn an_over_long_line_is_reported_with_its_size_and_the_rest_is_read() {
    let long = format!("{{\"pad\":\"{}\"}}", "x".repeat(10_000));
    let text = format!("{GOOD}\n{long}\n{GOOD}\n");
    let (good, bad) = read(text.into_bytes(), Some(1_000));
    assert_eq!(good, vec![1, 3]);
    assert_eq!(
        bad,
        vec![BadLine {
            line_number: 2,
            reason: BadLineReason::TooLong {
                bytes: long.len() as u64,
                limit: 1_000
            }
        }]
    );
}

#[test]
fn invalid_json_and_non_rollout_json_are_reported_distinctly() {
    let text = format!("{GOOD}\nnot json at all\n[1,2,3]\n{{\"hello\":1}}\n{GOOD}\n");
    let (good, bad) = read(text.into_bytes(), None);
    assert_eq!(good, vec![1, 5]);
    let numbers: Vec<u64> = bad.iter().map(|b| b.line_number).collect();
    assert_eq!(numbers, vec![2, 3, 4]);
    assert!(matches!(bad[0].reason, BadLineReason::InvalidJson { .. }));
    assert!(matches!(
        bad[1].reason,
        BadLineReason::NotARolloutLine { .. }
    ));
    assert!(matches!(
        bad[2].reason,
        BadLineReason::NotARolloutLine { .. }
    ));
    assert!(bad[0].to_string().starts_with("line 2: invalid JSON"));
}

#[test]
fn blank_lines_are_skipped_silently() {
    let (good, bad) = read(format!("{GOOD}\n\n   \n{GOOD}\n").into_bytes(), None);
    assert_eq!(good, vec![1, 4]);
    assert_eq!(bad, vec![]);
}

#[test]
fn a_missing_file_is_an_open_error_naming_the_path() {
    let error = RolloutReader::open(Path::new("/nonexistent/rollout.jsonl"))
        .err()
        .unwrap();
    assert!(matches!(error, RolloutError::Open { .. }));
    assert!(error.to_string().contains("/nonexistent/rollout.jsonl"));
}

#[test]
fn a_corrupt_zstd_stream_ends_the_read_with_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rollout.jsonl.zst");
    let text: String = (0..5000)
        .map(|n| format!("{{\"type\":\"event_msg\",\"payload\":{{\"type\":\"agent_message\",\"message\":\"{}\"}}}}\n", n * 7919 % 100_003))
        .collect();
    let mut compressed = zstd::encode_all(Cursor::new(text), 3).unwrap();
    let middle = compressed.len() / 2;
    for byte in &mut compressed[middle..middle + 64] {
        *byte ^= 0x5a;
    }
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&compressed)
        .unwrap();
    let mut reader = RolloutReader::open(&path).unwrap();
    let error = loop {
        match reader.next_line() {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("a corrupt frame must not read as a clean end of file"),
            Err(error) => break error,
        }
    };
    assert!(matches!(error, RolloutError::Read { .. }));
    assert!(error.to_string().contains("rollout.jsonl.zst"));
}

#[test]
fn memory_stays_bounded_on_a_huge_single_line() {
    // 200 MB of one line through a reader capped at 1 MiB: the line is reported as too long and
    // the reader never holds more than its cap (the source is generated, never materialised).
    struct Repeat {
        remaining: u64,
    }
    impl std::io::Read for Repeat {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.remaining == 0 {
                return Ok(0);
            }
            let n = buf.len().min(self.remaining as usize);
            buf[..n].fill(b'x');
            self.remaining -= n as u64;
            if self.remaining == 0 {
                buf[n - 1] = b'\n';
            }
            Ok(n)
        }
    }
    let size = 200 * 1024 * 1024;
    let mut reader =
        RolloutReader::from_reader(Path::new("huge.jsonl"), Repeat { remaining: size }, false)
            .unwrap()
            .with_max_line_bytes(1024 * 1024);
    assert!(reader.next_line().unwrap().is_none());
    assert_eq!(
        reader.bad_lines(),
        &[BadLine {
            line_number: 1,
            reason: BadLineReason::TooLong {
                bytes: size - 1,
                limit: 1024 * 1024
            }
        }]
    );
}
