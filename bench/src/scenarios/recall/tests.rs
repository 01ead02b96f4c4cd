#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{TimeZone, Utc};
use codex_memories::provider::{ProviderKind, ProviderOverrides};
use pretty_assertions::assert_eq;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::recall_home::DistractorKind;

/// Every file under `dir`, its path and text with `dir` itself written as `<DIR>`.
fn tree(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    let prefix = dir.display().to_string();
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().display().to_string();
                let text = std::fs::read_to_string(&path).unwrap();
                files.insert(relative, text.replace(&prefix, "<DIR>"));
            }
        }
    }
    files
}

#[test]
fn the_generator_writes_the_same_home_and_probes_for_the_same_seed() {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
    let size = HomeSize {
        projects: 6,
        sessions_per_project: 12,
    };
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = write_recall_home(first.path(), size, 7, now).unwrap();
    let b = write_recall_home(second.path(), size, 7, now).unwrap();
    assert_eq!(tree(first.path()), tree(second.path()));
    let probes = |home: &RecallHome, dir: &Path| -> String {
        format!("{:?}", home.probes).replace(&dir.display().to_string(), "<DIR>")
    };
    assert_eq!(probes(&a, first.path()), probes(&b, second.path()));
    assert_eq!(a.sessions, 72);
    assert_eq!(a.probes.len(), 6 * 9);
    // Another seed changes the routine sessions.
    let third = tempfile::tempdir().unwrap();
    write_recall_home(third.path(), size, 8, now).unwrap();
    assert_ne!(tree(first.path()), tree(third.path()));
}

#[test]
fn a_tiny_home_runs_the_whole_offline_pipeline_and_scores_every_probe() {
    let dir = tempfile::tempdir().unwrap();
    let size = HomeSize {
        projects: 5,
        sessions_per_project: 9,
    };
    let home = write_recall_home(dir.path(), size, SEED, Utc::now()).unwrap();
    let figures = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(measure_home(&home, None))
        .unwrap();
    let probes = home.probes.len();
    assert_eq!(figures.injected.total, probes);
    assert_eq!(figures.search.total, probes);
    assert_eq!(figures.substring.total, probes);
    // Our read path never injects another project's conflicting convention.
    assert_eq!(figures.contamination.passed, 0, "{figures:?}");
    // Secrets are redacted before anything is written.
    assert!(
        !figures
            .false_memories
            .iter()
            .any(|found| found.starts_with(DistractorKind::Secret.as_str())),
        "{:?}",
        figures.false_memories
    );
    // Ranked entries reach more probes than the global summary alone.
    assert!(
        figures.injected.passed > figures.baseline_injected.passed,
        "{figures:?}"
    );
    assert!(
        figures.ceiling.passed >= figures.injected.passed,
        "{figures:?}"
    );
}

#[test]
fn a_conflict_counts_only_as_whole_words() {
    assert!(score::contains_word("listens on port 5401.", "port 5401"));
    assert!(!score::contains_word("listens on port 54012", "port 5401"));
    assert!(!score::contains_word("a secondary index", "conda"));
    assert!(score::contains_word(
        "tests run with `make check`",
        "tests run with `make check`"
    ));
}

#[test]
fn a_model_given_with_provider_extracts_every_session_and_its_answers_are_scored() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = MockServer::start().await;
        let memory = json!({
            "raw_memory": "scope: scripted\noutcome: success\n- scripted model memory: keep lines under 99 characters.",
            "rollout_summary": "The scripted model summarised this session.",
            "rollout_slug": "scripted",
        })
        .to_string();
        let chunk = json!({"choices": [{"index": 0, "delta": {"content": memory}, "finish_reason": "stop"}]});
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(format!("data: {chunk}\n\ndata: [DONE]\n\n"), "text/event-stream"),
            )
            .mount(&server)
            .await;
        let dir = tempfile::tempdir().unwrap();
        let size = HomeSize {
            projects: 2,
            sessions_per_project: 8,
        };
        let home = write_recall_home(dir.path(), size, SEED, Utc::now()).unwrap();
        let model = ProviderOverrides::default()
            .with_provider(Some(ProviderKind::Chat))
            .with_base_url(Some(format!("{}/v1", server.uri())))
            .with_model(Some("scripted".to_string()));

        let built = pipeline::run(&home, Some(&model)).await.unwrap();

        let requests = server.received_requests().await.unwrap();
        let model_requests = requests
            .iter()
            .filter(|request| request.url.path().ends_with("/chat/completions"))
            .count();
        assert_eq!(model_requests, home.sessions);
        assert_eq!(built.extracted, home.sessions);
        // The answers are what the folder holds, not the offline provider's summaries.
        let raw = std::fs::read_to_string(built.memory_root.join("raw_memories.md")).unwrap();
        assert_eq!(
            raw.matches("scripted model memory").count(),
            home.sessions,
            "{raw}"
        );
        assert!(!raw.contains("extracted offline"), "{raw}");
        let figures = score::score(&home, &built).await.unwrap();
        assert_eq!(figures.search.total, home.probes.len());
        built.close().await;
    });
}
