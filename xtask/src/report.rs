//! Timed steps and the summary table at the end of a run.

use std::io::Write;
use std::time::{Duration, Instant};

pub enum Outcome {
    Ok,
    Failed(String),
    Skipped(String),
}

struct Row {
    name: String,
    outcome: Outcome,
    took: Duration,
}

#[derive(Default)]
pub struct Report {
    rows: Vec<Row>,
}

/// Milliseconds below a second, where one decimal of seconds would round every event to 0.0.
pub fn secs(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

impl Report {
    pub fn new() -> Report {
        Report::default()
    }

    /// Runs a step, printing its start and its result with the time it took.
    pub fn step<T>(&mut self, name: &str, f: impl FnOnce() -> Result<T, String>) -> Option<T> {
        self.step_or_skip(name, true, f)
    }

    /// `fatal: false` records a failure as a skip: a missing tool outside CI is not an error.
    pub fn step_or_skip<T>(
        &mut self,
        name: &str,
        fatal: bool,
        f: impl FnOnce() -> Result<T, String>,
    ) -> Option<T> {
        println!("==> {name}");
        let _ = std::io::stdout().flush();
        let start = Instant::now();
        let result = f();
        let took = start.elapsed();
        match result {
            Ok(v) => {
                println!("==> {name}: ok ({})", secs(took));
                self.record(name, Outcome::Ok, took);
                Some(v)
            }
            Err(e) if fatal => {
                println!("==> {name}: FAILED ({}): {e}", secs(took));
                self.record(name, Outcome::Failed(e), took);
                None
            }
            Err(e) => {
                println!("==> {name}: SKIPPED ({}): {e}", secs(took));
                self.record(name, Outcome::Skipped(e), took);
                None
            }
        }
    }

    pub fn skip(&mut self, name: &str, reason: &str) {
        println!("==> SKIPPED {name}: {reason}");
        self.record(name, Outcome::Skipped(reason.to_string()), Duration::ZERO);
    }

    pub fn record(&mut self, name: &str, outcome: Outcome, took: Duration) {
        self.rows.push(Row {
            name: name.to_string(),
            outcome,
            took,
        });
    }

    pub fn failures(&self) -> Vec<&str> {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
            .map(|r| r.name.as_str())
            .collect()
    }

    pub fn print_summary(&self, title: &str) {
        let width = self.rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
        println!("\n{title}");
        for row in &self.rows {
            let (verdict, detail) = match &row.outcome {
                Outcome::Ok => ("ok", String::new()),
                Outcome::Failed(e) => ("FAILED", first_line(e)),
                Outcome::Skipped(e) => ("SKIPPED", first_line(e)),
            };
            let line = format!(
                "  {:<width$}  {:<7}  {:>8}  {detail}",
                row.name,
                verdict,
                secs(row.took)
            );
            println!("{}", line.trim_end());
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}
