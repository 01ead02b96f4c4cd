//! Fitting a stage-one request into the model's context window. The window holds the prompt
//! (instructions and input template), the transcript and the answer: the answer gets its
//! output cap, a safety margin absorbs the estimate's error, and the transcript gets the rest
//! (at most 70 % of the window; 150 000 tokens when the window is unknown). Tokens are estimated
//! from bytes at a conservative rate (docs/providers.md says where it comes from).
//! Over budget, whole blocks are dropped from the middle; the head (the request) and the tail
//! (the outcome) stay.

use crate::phase1::output::{MAX_RAW_MEMORY_BYTES, MAX_ROLLOUT_SUMMARY_BYTES};
use crate::phase1::transcript::{Block, join_blocks};

/// Share of the model's context window the rollout may use at most, in percent.
pub const CONTEXT_WINDOW_SHARE_PERCENT: u64 = 70;
/// Rollout budget when the context window is unknown, in tokens.
pub const FALLBACK_BUDGET_TOKENS: u64 = 150_000;
/// Bytes per token used to estimate tokens without a tokenizer. A real llama.cpp server with
/// SmolLM2's tokenizer counted 18 756 tokens for a request our old 4-bytes/token estimate put at
/// ≈ 14 000, i.e. ≈ 3.0 bytes/token on code and tool output; small models' tokenizers are the
/// least efficient, so 3 (with `WINDOW_MARGIN_PERCENT` on top) covers larger ones too. The
/// o200k figure is measured by `bench --bin bytes_per_token` (docs/providers.md).
pub const BYTES_PER_TOKEN: u64 = 3;
/// Share of the context window kept free for the estimate's error, in percent.
pub const WINDOW_MARGIN_PERCENT: u64 = 10;
/// Output tokens the stage-one answer may take: enough for a raw memory and a rollout summary
/// at their byte caps, plus the JSON around them.
pub const STAGE_ONE_MAX_OUTPUT_TOKENS: u32 =
    ((MAX_RAW_MEMORY_BYTES + MAX_ROLLOUT_SUMMARY_BYTES) as u64 / BYTES_PER_TOKEN + 256) as u32;
/// Share of a known context window the answer may take at most, in percent.
pub const OUTPUT_SHARE_PERCENT: u64 = 25;
/// Share of an over-budget transcript given to its head; the tail gets the rest.
const HEAD_SHARE_PERCENT: usize = 40;

/// The rollout budget in tokens for a model with `context_window` tokens (before the prompt
/// and the answer are taken out; see [`transcript_budget_tokens`]).
pub fn rollout_budget_tokens(context_window: Option<u64>) -> u64 {
    context_window.map_or(FALLBACK_BUDGET_TOKENS, |window| {
        window * CONTEXT_WINDOW_SHARE_PERCENT / 100
    })
}

/// The stage-one output cap for a model with `context_window` tokens: enough for the field
/// caps, but at most [`OUTPUT_SHARE_PERCENT`] of a known window.
pub fn stage_one_output_tokens(context_window: Option<u64>) -> u32 {
    let cap = u64::from(STAGE_ONE_MAX_OUTPUT_TOKENS);
    let capped = context_window.map_or(cap, |window| cap.min(window * OUTPUT_SHARE_PERCENT / 100));
    u32::try_from(capped).unwrap_or(STAGE_ONE_MAX_OUTPUT_TOKENS)
}

/// Tokens left for the transcript once the prompt (`prompt_tokens`), the answer
/// (`output_tokens`) and the margin are taken out of the window; never more than
/// [`rollout_budget_tokens`], and at least a little so the session's head still goes.
pub fn transcript_budget_tokens(
    context_window: Option<u64>,
    prompt_tokens: u64,
    output_tokens: u32,
) -> u64 {
    /// The least transcript sent, in tokens, however small the window.
    const MIN_TRANSCRIPT_TOKENS: u64 = 256;
    let share = rollout_budget_tokens(context_window);
    let Some(window) = context_window else {
        return share;
    };
    let margin = window * WINDOW_MARGIN_PERCENT / 100;
    let left = window
        .saturating_sub(prompt_tokens)
        .saturating_sub(u64::from(output_tokens))
        .saturating_sub(margin);
    share.min(left).max(MIN_TRANSCRIPT_TOKENS)
}

/// A transcript cut to fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FittedTranscript {
    /// The transcript text.
    pub text: String,
    /// Blocks dropped from the middle (0 when it fit).
    pub omitted_blocks: usize,
}

/// Joins `blocks`, dropping whole blocks from the middle when they exceed `budget_tokens`.
pub fn fit_blocks(blocks: &[Block], budget_tokens: u64) -> FittedTranscript {
    let max_bytes =
        usize::try_from(budget_tokens.saturating_mul(BYTES_PER_TOKEN)).unwrap_or(usize::MAX);
    let size = |block: &Block| block.text.len() + 2;
    let total: usize = blocks.iter().map(size).sum();
    if total <= max_bytes {
        return FittedTranscript {
            text: join_blocks(blocks),
            omitted_blocks: 0,
        };
    }
    let head_budget = max_bytes * HEAD_SHARE_PERCENT / 100;
    let mut head_end = 0;
    let mut used = 0;
    for block in blocks {
        if used + size(block) > head_budget && head_end > 0 {
            break;
        }
        used += size(block);
        head_end += 1;
    }
    let mut tail_start = blocks.len();
    while tail_start > head_end && used + size(&blocks[tail_start - 1]) <= max_bytes {
        used += size(&blocks[tail_start - 1]);
        tail_start -= 1;
    }
    let omitted_blocks = tail_start - head_end;
    let mut text = join_blocks(&blocks[..head_end]);
    if omitted_blocks > 0 {
        text.push_str(&format!(
            "[… {omitted_blocks} items omitted from the middle to fit the budget …]\n\n"
        ));
    }
    text.push_str(&join_blocks(&blocks[tail_start..]));
    FittedTranscript {
        text,
        omitted_blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phase1::transcript::BlockKind;
    use pretty_assertions::assert_eq;

    fn block(text: &str) -> Block {
        Block {
            kind: BlockKind::User,
            text: text.to_string(),
        }
    }

    #[test]
    fn budget_is_seventy_percent_of_the_window_or_the_fallback() {
        assert_eq!(rollout_budget_tokens(Some(272_000)), 190_400);
        assert_eq!(rollout_budget_tokens(None), 150_000);
    }

    #[test]
    fn an_8k_window_leaves_room_for_the_prompt_the_answer_and_the_margin() {
        let output = stage_one_output_tokens(Some(8192));
        assert_eq!(output, 2048);
        let transcript = transcript_budget_tokens(Some(8192), 1100, output);
        // 8192 - 1100 - 2048 - 819 (10 %) = 4225, below the 70 % share (5734).
        assert_eq!(transcript, 4225);
        assert!(u64::from(output) + 1100 + transcript + 819 <= 8192);
    }

    #[test]
    fn a_large_window_keeps_the_seventy_percent_share_and_the_full_output_cap() {
        assert_eq!(
            stage_one_output_tokens(Some(272_000)),
            STAGE_ONE_MAX_OUTPUT_TOKENS
        );
        assert_eq!(stage_one_output_tokens(None), STAGE_ONE_MAX_OUTPUT_TOKENS);
        assert_eq!(
            transcript_budget_tokens(Some(272_000), 1100, 16_640),
            190_400
        );
        assert_eq!(
            transcript_budget_tokens(None, 1100, 16_640),
            FALLBACK_BUDGET_TOKENS
        );
    }

    #[test]
    fn a_transcript_that_fits_is_kept_whole() {
        let fitted = fit_blocks(&[block("a"), block("b")], 100);
        assert_eq!(fitted.text, "a\n\nb\n\n");
        assert_eq!(fitted.omitted_blocks, 0);
    }

    #[test]
    fn over_budget_the_middle_goes_and_head_and_tail_stay() {
        let blocks: Vec<Block> = (0..100).map(|n| block(&format!("block {n:03}"))).collect();
        // 100 blocks of 11 bytes; a 50-token (200-byte) budget keeps about 18 of them.
        let fitted = fit_blocks(&blocks, 50);
        assert!(fitted.text.starts_with("block 000\n\n"), "{}", fitted.text);
        assert!(fitted.text.ends_with("block 099\n\n"), "{}", fitted.text);
        assert!(fitted.omitted_blocks > 70, "{}", fitted.omitted_blocks);
        assert!(fitted.text.contains("items omitted from the middle"));
        assert!(fitted.text.len() <= 200 + 80, "{}", fitted.text.len());
    }
}
