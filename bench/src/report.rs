//! One benchmark result row and the two table renderings (plain for a terminal, Markdown for
//! `docs/benchmarks.md`).

use serde::{Deserialize, Serialize};

/// Whether a larger or a smaller figure is better, which decides how the target is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Throughputs: pass when `ours >= target`.
    Higher,
    /// Times, sizes, ratios: pass when `ours <= target`.
    Lower,
}

/// One measured figure beside its baseline and target.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// Scenario and figure, e.g. `index: first index throughput`.
    pub scenario: String,
    /// Our figure.
    pub ours: f64,
    /// The unit of `ours` and `baseline`, e.g. `MB/s`.
    pub unit: String,
    /// The baseline measured in the same run, and what it is (e.g. `cat`), when there is one.
    pub baseline: Option<(f64, String)>,
    /// What the target is compared with: our figure itself, or ours / baseline.
    pub target_on_ratio: bool,
    /// The target value.
    pub target: Option<f64>,
    /// Which direction is better.
    pub better: Better,
    /// Whether the target was met (None without a target).
    pub pass: Option<bool>,
}

impl Row {
    /// A row; `pass` is computed from the target.
    pub fn new(scenario: impl Into<String>, ours: f64, unit: impl Into<String>) -> Self {
        Self {
            scenario: scenario.into(),
            ours,
            unit: unit.into(),
            baseline: None,
            target_on_ratio: false,
            target: None,
            better: Better::Higher,
            pass: None,
        }
    }

    /// Adds the baseline measured in the same run.
    pub fn baseline(mut self, value: f64, what: impl Into<String>) -> Self {
        self.baseline = Some((value, what.into()));
        self.recompute();
        self
    }

    /// Sets a target on our figure itself.
    pub fn target(mut self, value: f64, better: Better) -> Self {
        self.target = Some(value);
        self.better = better;
        self.target_on_ratio = false;
        self.recompute();
        self
    }

    /// Sets a target on ours / baseline.
    pub fn target_ratio(mut self, value: f64, better: Better) -> Self {
        self.target = Some(value);
        self.better = better;
        self.target_on_ratio = true;
        self.recompute();
        self
    }

    /// ours / baseline, when there is a non-zero baseline.
    pub fn ratio(&self) -> Option<f64> {
        let (baseline, _) = self.baseline.as_ref()?;
        (*baseline != 0.0).then(|| self.ours / baseline)
    }

    fn recompute(&mut self) {
        let Some(target) = self.target else {
            self.pass = None;
            return;
        };
        let compared = if self.target_on_ratio {
            self.ratio()
        } else {
            Some(self.ours)
        };
        self.pass = compared.map(|value| match self.better {
            Better::Higher => value >= target,
            Better::Lower => value <= target,
        });
    }

    fn cells(&self) -> [String; 6] {
        let baseline = self
            .baseline
            .as_ref()
            .map_or("—".to_string(), |(value, what)| {
                format!("{} ({what})", number(*value))
            });
        let ratio = self.ratio().map_or("—".to_string(), |r| format!("{r:.2}×"));
        let sign = match self.better {
            Better::Higher => "≥",
            Better::Lower => "≤",
        };
        let target = match (self.target, self.target_on_ratio) {
            (None, _) => "—".to_string(),
            (Some(t), true) => format!("{sign} {t}×"),
            (Some(t), false) => format!("{sign} {} {}", number(t), self.unit),
        };
        let pass = match self.pass {
            None => "—",
            Some(true) => "pass",
            Some(false) => "FAIL",
        };
        [
            self.scenario.clone(),
            format!("{} {}", number(self.ours), self.unit),
            baseline,
            ratio,
            target,
            pass.to_string(),
        ]
    }
}

const HEADERS: [&str; 6] = [
    "scenario",
    "ours",
    "baseline (same run)",
    "ratio",
    "target",
    "result",
];

fn number(value: f64) -> String {
    if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.4}")
    }
}

/// A fixed-width table for a terminal.
pub fn plain(rows: &[Row]) -> String {
    let cells: Vec<[String; 6]> = rows.iter().map(Row::cells).collect();
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
    };
    out.push_str(line(&HEADERS.map(String::from)).trim_end());
    out.push('\n');
    for row in &cells {
        out.push_str(line(row).trim_end());
        out.push('\n');
    }
    out
}

/// A Markdown table.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = format!("| {} |\n", HEADERS.join(" | "));
    out.push_str(&format!("|{}\n", "---|".repeat(HEADERS.len())));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.cells().join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ratio_target_passes_only_on_the_right_side() {
        let fast = Row::new("x", 60.0, "MB/s")
            .baseline(100.0, "cat")
            .target_ratio(0.5, Better::Higher);
        assert_eq!(fast.pass, Some(true));
        let slow = Row::new("x", 40.0, "MB/s")
            .baseline(100.0, "cat")
            .target_ratio(0.5, Better::Higher);
        assert_eq!(slow.pass, Some(false));
    }

    #[test]
    fn an_absolute_lower_is_better_target_checks_our_figure() {
        let row = Row::new("t", 0.3, "s").target(0.5, Better::Lower);
        assert_eq!(row.pass, Some(true));
        assert_eq!(
            Row::new("t", 0.7, "s").target(0.5, Better::Lower).pass,
            Some(false)
        );
    }
}
