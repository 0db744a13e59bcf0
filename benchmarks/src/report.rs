//! What a run measured: a table for people and a JSON file for `compare.py`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use crate::engine::EngineKind;
use crate::error::{BenchError, Result};

/// One query's times (milliseconds, one per iteration) and row count, per engine label
/// (`trebuchet`, `datafusion`, or `trebuchet:<setup>`).
#[derive(Debug, Clone, Default)]
pub struct QueryTiming {
    pub query: usize,
    pub millis: BTreeMap<String, Vec<f64>>,
    pub rows: BTreeMap<String, u64>,
}

impl QueryTiming {
    /// The median of `engine`'s iterations.
    pub fn median(&self, engine: &str) -> Option<f64> {
        median(self.millis.get(engine)?)
    }
}

/// A finished run: its settings and every query's timing.
#[derive(Debug, Clone)]
pub struct Report {
    /// The run's settings, machine and revision, as written to the JSON file.
    pub context: Value,
    /// Engine labels in column order.
    pub engines: Vec<String>,
    pub queries: Vec<QueryTiming>,
}

impl Report {
    /// The sum of `engine`'s medians over all queries.
    pub fn total(&self, engine: &str) -> f64 {
        self.queries
            .iter()
            .filter_map(|timing| timing.median(engine))
            .sum()
    }

    /// One line per query: the median per engine and, when DataFusion ran, each other
    /// engine's time divided by DataFusion's.
    pub fn table(&self) -> String {
        let floor = EngineKind::Datafusion.name();
        let compared: Vec<&String> = if self.engines.iter().any(|e| e == floor) {
            self.engines.iter().filter(|e| *e != floor).collect()
        } else {
            Vec::new()
        };
        let width = self
            .engines
            .iter()
            .map(|e| e.len() + 3)
            .max()
            .unwrap_or(0)
            .max(15);
        let mut out = format!("{:>5}", "query");
        for engine in &self.engines {
            let _ = write!(out, " {:>width$}", format!("{engine} ms"));
        }
        for engine in &compared {
            let _ = write!(out, " {:>width$}", format!("{engine} ratio"));
        }
        out.push('\n');
        let mut line = |label: String, value: &dyn Fn(&str) -> Option<f64>| {
            let _ = write!(out, "{label:>5}");
            for engine in &self.engines {
                match value(engine) {
                    Some(ms) => {
                        let _ = write!(out, " {ms:>width$.1}");
                    }
                    None => {
                        let _ = write!(out, " {:>width$}", "-");
                    }
                }
            }
            for engine in &compared {
                match (value(engine), value(floor)) {
                    (Some(ours), Some(theirs)) => {
                        let _ = write!(out, " {:>width$.2}", ours / theirs);
                    }
                    _ => {
                        let _ = write!(out, " {:>width$}", "-");
                    }
                }
            }
            out.push('\n');
        };
        for timing in &self.queries {
            line(format!("q{}", timing.query), &|e| timing.median(e));
        }
        line("total".into(), &|e| Some(self.total(e)));
        out
    }

    /// The whole run as JSON: context, per-query iterations, medians and rows, totals.
    pub fn to_json(&self) -> Value {
        let queries: Vec<Value> = self
            .queries
            .iter()
            .map(|timing| {
                let engines: serde_json::Map<String, Value> = timing
                    .millis
                    .iter()
                    .map(|(engine, millis)| {
                        let entry = json!({
                            "iterations_ms": millis,
                            "median_ms": median(millis),
                            "rows": timing.rows.get(engine),
                        });
                        (engine.clone(), entry)
                    })
                    .collect();
                json!({ "query": timing.query, "engines": engines })
            })
            .collect();
        let totals: serde_json::Map<String, Value> = self
            .engines
            .iter()
            .map(|engine| (engine.clone(), json!(self.total(engine))))
            .collect();
        json!({
            "context": self.context,
            "queries": queries,
            "total_of_medians_ms": totals,
        })
    }

    /// Writes [`Self::to_json`] to `path`.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default();
        std::fs::write(path, text + "\n").map_err(|source| BenchError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[middle]),
        _ => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(query: usize, ours: &[f64], floor: &[f64]) -> QueryTiming {
        QueryTiming {
            query,
            millis: BTreeMap::from([
                ("trebuchet".to_string(), ours.to_vec()),
                ("datafusion".to_string(), floor.to_vec()),
            ]),
            rows: BTreeMap::from([("trebuchet".to_string(), 4), ("datafusion".to_string(), 4)]),
        }
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn totals_ratios_and_json_come_from_the_medians() {
        let report = Report {
            context: json!({ "scale": 1 }),
            engines: vec!["trebuchet".to_string(), "datafusion".to_string()],
            queries: vec![
                timing(1, &[30.0, 10.0, 20.0], &[10.0, 10.0, 10.0]),
                timing(2, &[5.0], &[5.0]),
            ],
        };
        assert_eq!(report.total("trebuchet"), 25.0);
        assert_eq!(report.total("datafusion"), 15.0);
        let table = report.table();
        assert!(
            table.contains("   q1            20.0            10.0            2.00"),
            "{table}"
        );
        assert!(
            table.contains("total            25.0            15.0            1.67"),
            "{table}"
        );
        let json = report.to_json();
        assert_eq!(
            json["queries"][0]["engines"]["trebuchet"]["median_ms"],
            20.0
        );
        assert_eq!(json["queries"][1]["engines"]["datafusion"]["rows"], 4);
        assert_eq!(json["total_of_medians_ms"]["trebuchet"], 25.0);
    }

    #[test]
    fn every_setup_gets_its_own_ratio_to_datafusion() {
        let mut first = timing(1, &[30.0], &[10.0]);
        first.millis.insert("trebuchet:adaptive".into(), vec![5.0]);
        let report = Report {
            context: json!({}),
            engines: vec![
                "trebuchet".to_string(),
                "trebuchet:adaptive".to_string(),
                "datafusion".to_string(),
            ],
            queries: vec![first],
        };
        let table = report.table();
        let header = table.lines().next().unwrap();
        assert!(header.contains("trebuchet:adaptive ratio"), "{table}");
        let q1: Vec<&str> = table.lines().nth(1).unwrap().split_whitespace().collect();
        assert_eq!(q1, ["q1", "30.0", "5.0", "10.0", "3.00", "0.50"], "{table}");
    }
}
