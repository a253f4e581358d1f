//! Helpers shared by the functions' tests.

use rollcall_testkit::deliveries::repo;
use std::collections::BTreeMap;

/// Each top-level entry of the template's sections (resources, outputs, …): logical id → its block of lines.
pub fn template_blocks() -> BTreeMap<String, String> {
    let template = std::fs::read_to_string(repo().join("template.yaml")).unwrap();
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in template.lines() {
        let top_level_key =
            line.starts_with("  ") && !line.starts_with("   ") && line.trim_end().ends_with(':');
        if top_level_key {
            blocks.push((line.trim().trim_end_matches(':').to_owned(), String::new()));
        } else if let Some((_, block)) = blocks.last_mut() {
            block.push_str(line);
            block.push('\n');
        }
    }
    blocks.into_iter().collect()
}
