//! `measure instructions`: the same per-delivery work as `criterion`, counted in instructions under callgrind
//! (`ingest-loop`).

use crate::Result;
use crate::callgrind::per_delivery_instructions;
use crate::report::{print_nested, verdict};
use rollcall::Kind;
use std::path::Path;

/// Prints the instructions of one delivery per kind against its references.
pub(crate) fn run(dir: &Path, deliveries: u64, base: u64) -> Result<()> {
    println!(
        "### Per-delivery CPU (instructions per delivery, callgrind: {deliveries} deliveries after {base})\n"
    );
    println!("| kind | pipeline | bare parse | RS256 verify | ratio | goal | verdict |");
    println!("| --- | --: | --: | --: | --: | --- | --- |");
    let mut nested_rows = Vec::new();
    for kind in Kind::ALL {
        eprintln!("instructions: {}", kind.binary());
        let per_delivery =
            |work: &str| per_delivery_instructions(dir, kind, work, deliveries, base);
        let (pipeline, parse) = (per_delivery("pipeline")?, per_delivery("bare-parse")?);
        let k = |n: f64| format!("{:.0} k", n / 1e3);
        if kind.provider() == rollcall::Provider::Wix {
            let verify = per_delivery("rs256-verify")?;
            let nested = per_delivery("bare-parse-nested")?;
            nested_rows.push((kind.binary(), (pipeline - verify) / 1e3, nested / 1e3, "k"));
            let ratio = (pipeline - verify) / parse;
            println!(
                "| {} | {} | {} | {} | (pipeline − verify) / parse = **{ratio:.2}** | ≤ verify + 2 × parse | {} |",
                kind.binary(),
                k(pipeline),
                k(parse),
                k(verify),
                verdict(ratio, 2.0)
            );
        } else {
            let ratio = pipeline / parse;
            println!(
                "| {} | {} | {} | | pipeline / parse = **{ratio:.2}** | ≤ 2 × parse | {} |",
                kind.binary(),
                k(pipeline),
                k(parse),
                verdict(ratio, 2.0)
            );
        }
    }
    println!();
    print_nested(&nested_rows);
    Ok(())
}
