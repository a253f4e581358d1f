//! `measure criterion`: the pipeline benchmarks' medians as ratios.

use crate::Result;
use crate::report::{print_nested, verdict};
use rollcall::Kind;
use std::path::Path;

fn criterion_median_ns(results: &Path, group: &str, function: &str) -> Option<f64> {
    let path = results
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value["median"]["point_estimate"].as_f64()
}

/// Prints the criterion medians found under `results` as ratios against their references.
pub(crate) fn run(results: &Path) -> Result<()> {
    println!("### Per-delivery CPU (criterion medians, µs)\n");
    println!("| kind | pipeline | bare parse | RS256 verify | ratio | goal | verdict |");
    println!("| --- | --: | --: | --: | --: | --- | --- |");
    let mut found = false;
    let mut nested_rows = Vec::new();
    for kind in Kind::ALL {
        let group = kind.binary();
        let (Some(pipeline), Some(parse)) = (
            criterion_median_ns(results, &group, "pipeline"),
            criterion_median_ns(results, &group, "bare_parse"),
        ) else {
            continue;
        };
        found = true;
        let us = |ns: f64| ns / 1e3;
        match criterion_median_ns(results, &group, "rs256_verify") {
            Some(verify) => {
                let ratio = (pipeline - verify) / parse;
                if let Some(nested) = criterion_median_ns(results, &group, "bare_parse_nested") {
                    nested_rows.push((group.clone(), us(pipeline - verify), us(nested), "µs"));
                }
                println!(
                    "| {group} | {:.1} | {:.1} | {:.1} | (pipeline − verify) / parse = **{ratio:.2}** | ≤ verify + 2 × parse | {} |",
                    us(pipeline),
                    us(parse),
                    us(verify),
                    verdict(ratio, 2.0)
                );
            }
            None => {
                let ratio = pipeline / parse;
                println!(
                    "| {group} | {:.1} | {:.1} | | pipeline / parse = **{ratio:.2}** | ≤ 2 × parse | {} |",
                    us(pipeline),
                    us(parse),
                    verdict(ratio, 2.0)
                );
            }
        }
    }
    if !found {
        return Err(format!(
            "no criterion results under {}: run `cargo bench -p rollcall-testkit` first",
            results.display()
        ));
    }
    println!();
    print_nested(&nested_rows);
    Ok(())
}
