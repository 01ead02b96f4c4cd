//! Token totals of the responses of one Claude Code or Gemini CLI session, by response id, where
//! the last write of a response wins: both CLIs write a response more than once (Claude Code one
//! line per content block, each repeating the usage; Gemini CLI the same message again as it
//! updates). Those writes come one after another, so the latest id is compared in place and only
//! a change of id allocates and hashes.

use std::collections::HashMap;

/// Token totals by response id, the last write of each winning.
#[derive(Debug, Default)]
pub(crate) struct TotalsById {
    /// The response written last, with its total.
    latest: Option<(String, i64)>,
    /// Every response written before it.
    earlier: HashMap<String, i64>,
    /// Responses recorded without an id: each counts once.
    unnamed: i64,
}

impl TotalsById {
    /// Records `total` for the response `id` (replacing an earlier write of it).
    pub(crate) fn record(&mut self, id: &str, total: i64) {
        match &mut self.latest {
            Some((latest_id, latest_total)) if latest_id == id => *latest_total = total,
            latest => {
                if let Some((previous_id, previous_total)) = latest.replace((id.to_owned(), total))
                {
                    self.earlier.insert(previous_id, previous_total);
                }
            }
        }
    }

    /// Records the total of a response that names no id.
    pub(crate) fn record_unnamed(&mut self, total: i64) {
        self.unnamed += total;
    }

    /// The sum over responses, each at its last write.
    pub(crate) fn sum(self) -> i64 {
        let mut by_id = self.earlier;
        if let Some((id, total)) = self.latest {
            by_id.insert(id, total);
        }
        by_id.values().sum::<i64>() + self.unnamed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_write_of_each_response_counts_even_when_another_came_between() {
        let mut totals = TotalsById::default();
        totals.record("a", 10);
        totals.record("a", 12);
        totals.record("b", 5);
        totals.record("a", 20);
        totals.record_unnamed(3);
        totals.record_unnamed(4);
        assert_eq!(totals.sum(), 20 + 5 + 3 + 4);
        assert_eq!(TotalsById::default().sum(), 0);
    }
}
