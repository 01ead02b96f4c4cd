//! Whether a session asked for anything. A session whose user only greeted, thanked or tested
//! ("hi", "thanks!", "ping") has nothing a memory could hold; phase 1 records it as no output
//! without calling a model. Also where the user's own words start in a message an IDE wrapped in
//! context (`## My request for Codex:`).

use crate::phase1::transcript::Entry;

/// The heading after which an IDE extension puts the user's own words.
const IDE_REQUEST_HEADING: &str = "## My request for Codex:";
/// Openings of user messages that are the harness's context, not a request.
const CONTEXT_OPENINGS: &[&str] = &["<environment_context>", "<user_instructions>"];
/// Greetings, thanks, acknowledgements and pings: a message of these (and [`FILLER_WORDS`])
/// asks for nothing.
const PLEASANTRIES: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "heya",
    "hiya",
    "howdy",
    "yo",
    "sup",
    "hola",
    "greetings",
    "gm",
    "thanks",
    "thank",
    "thx",
    "ty",
    "tysm",
    "cheers",
    "ok",
    "okay",
    "k",
    "kk",
    "cool",
    "great",
    "nice",
    "awesome",
    "perfect",
    "bye",
    "goodbye",
    "cya",
    "test",
    "testing",
    "ping",
    "lol",
    "yes",
    "yeah",
    "yep",
    "no",
    "nope",
    "sure",
];
/// Words that go with a pleasantry ("good morning", "thanks a lot", "hi there, how is it
/// going") but are no pleasantry alone: "a" or "what is up" may still be a request.
const FILLER_WORDS: &[&str] = &[
    "good",
    "morning",
    "afternoon",
    "evening",
    "night",
    "there",
    "all",
    "you",
    "a",
    "lot",
    "so",
    "much",
    "very",
    "how",
    "are",
    "is",
    "it",
    "going",
    "what",
    "whats",
    "s",
    "up",
    "again",
];

/// The user's own words in a message: after an IDE's request heading when there is one.
pub fn request_text(text: &str) -> &str {
    let text = text.trim();
    match text.find(IDE_REQUEST_HEADING) {
        Some(start) => text[start + IDE_REQUEST_HEADING.len()..].trim(),
        None => text,
    }
}

/// Whether any user message of the session asks for something: a word that is not a greeting,
/// a thank-you or a test ping.
pub fn has_substantive_request(entries: &[Entry]) -> bool {
    entries.iter().any(|entry| match entry {
        Entry::Message { role, text } if role == "user" => is_substantive(text),
        _ => false,
    })
}

fn is_substantive(text: &str) -> bool {
    let text = text.trim_start();
    if CONTEXT_OPENINGS
        .iter()
        .any(|opening| text.starts_with(opening))
    {
        return false;
    }
    let words: Vec<String> = request_text(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    let pleasantry = |word: &String| PLEASANTRIES.contains(&word.as_str());
    let filler = |word: &String| FILLER_WORDS.contains(&word.as_str());
    !(words.iter().all(|word| pleasantry(word) || filler(word))
        && (words.is_empty() || words.iter().any(pleasantry)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Entry {
        Entry::Message {
            role: "user".to_string(),
            text: text.to_string(),
        }
    }

    fn assistant(text: &str) -> Entry {
        Entry::Message {
            role: "assistant".to_string(),
            text: text.to_string(),
        }
    }

    #[test]
    fn greetings_thanks_and_pings_ask_for_nothing() {
        for said in [
            "hi",
            "Hello there!",
            "thanks :)",
            "ok cool, thank you",
            "ping",
            "👋",
            "",
        ] {
            assert!(
                !has_substantive_request(&[user(said), assistant("Hello! How can I help?")]),
                "{said:?}"
            );
        }
    }

    #[test]
    fn any_real_word_is_a_request() {
        for said in [
            "fix it",
            "ls",
            "hi, can you run the tests?",
            "make ci faster",
        ] {
            assert!(has_substantive_request(&[user(said)]), "{said:?}");
        }
    }

    #[test]
    fn context_and_assistant_messages_are_not_requests() {
        let entries = [
            user("<environment_context>\n  <cwd>/repo</cwd>\n</environment_context>"),
            user(
                "# Context from my IDE setup:\n## Open tabs: main.rs\n## My request for Codex:\nhi",
            ),
            assistant("I can refactor the whole crate for you."),
        ];
        assert!(!has_substantive_request(&entries));
    }

    #[test]
    fn the_request_after_an_ide_heading_is_the_users_words() {
        assert_eq!(
            request_text("# Context\nstuff\n## My request for Codex:\nFix the test\n"),
            "Fix the test"
        );
        assert_eq!(request_text("  plain request "), "plain request");
    }
}
