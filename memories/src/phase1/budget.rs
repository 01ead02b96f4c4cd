//! Fitting a rendered transcript into the model's budget: 70 % of its context window (or
//! 150 000 tokens when unknown), estimated at 4 bytes per token. Over budget, whole blocks are
//! dropped from the middle; the head (the request) and the tail (the outcome) stay.

use crate::phase1::transcript::{Block, join_blocks};

/// Share of the model's context window the rollout may use, in percent.
pub const CONTEXT_WINDOW_SHARE_PERCENT: u64 = 70;
/// Rollout budget when the context window is unknown, in tokens.
pub const FALLBACK_BUDGET_TOKENS: u64 = 150_000;
/// Bytes per token used to estimate tokens without a tokenizer.
pub const BYTES_PER_TOKEN: u64 = 4;
/// Share of an over-budget transcript given to its head; the tail gets the rest.
const HEAD_SHARE_PERCENT: usize = 40;

/// The rollout budget in tokens for a model with `context_window` tokens.
pub fn rollout_budget_tokens(context_window: Option<u64>) -> u64 {
    context_window.map_or(FALLBACK_BUDGET_TOKENS, |window| {
        window * CONTEXT_WINDOW_SHARE_PERCENT / 100
    })
}

/// Estimated tokens of `text` (bytes / 4, rounded up).
pub fn estimate_tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(BYTES_PER_TOKEN)
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
