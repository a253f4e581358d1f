//! Numbers and tables shared by the sections: medians, units, verdicts.

use std::time::Duration;

/// The median of the finite values (NaN when there are none).
pub(crate) fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0)
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A duration in milliseconds.
pub(crate) fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// `met` when `ratio` is at most `goal`, else `missed`.
pub(crate) fn verdict(ratio: f64, goal: f64) -> &'static str {
    if ratio <= goal { "met" } else { "missed" }
}

/// Bytes as MiB.
pub(crate) fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The Wix rows against the bare parse of every JSON layer a token nests (`bare_parse_nested`): how far the
/// pipeline is from reading the delivery at all, beside the goal's reference that reads only the outer layer.
pub(crate) fn print_nested(rows: &[(String, f64, f64, &str)]) {
    if rows.is_empty() {
        return;
    }
    println!(
        "Wix beside the bare parse of every JSON layer (the claims, their `data`, its `data` and `identity`):\n"
    );
    println!("| kind | pipeline − verify | nested bare parse | ratio |");
    println!("| --- | --: | --: | --: |");
    for (kind, work, nested, unit) in rows {
        println!(
            "| {kind} | {work:.1} {unit} | {nested:.1} {unit} | **{:.2}** |",
            work / nested
        );
    }
    println!();
}
