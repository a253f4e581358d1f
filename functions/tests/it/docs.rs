//! The docs name every kind of the registry, and their counts of functions and routes are the registry's: the
//! README's routes table, the stack outputs to paste into each provider (`docs/deploying.md`), and the number
//! of kinds in `docs/deploying.md`'s prose and arithmetic. A kind added fails here until the docs say it.

use rollcall::Kind;
use rollcall_testkit::deliveries::repo;

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap()
}

#[test]
fn the_readme_routes_table_is_the_registry() {
    let readme = read("README.md");
    for kind in Kind::ALL {
        let row = format!(
            "| `{}` | `{}` | `{}` |",
            kind.route(),
            kind.message_type(),
            kind.binary()
        );
        assert!(readme.contains(&row), "README.md has no row `{row}`");
    }
    let rows = readme
        .lines()
        .filter(|line| line.starts_with("| `/webhooks/"))
        .count();
    assert_eq!(rows, Kind::ALL.len(), "rows of the README's routes table");
}

#[test]
fn the_deploying_guide_says_which_output_each_kind_uses() {
    let guide = read("docs/deploying.md");
    for kind in Kind::ALL {
        let output = format!("`{}Url` (`…{}`)", kind.logical_name(), kind.route());
        assert!(
            guide.contains(&output),
            "docs/deploying.md never names {output}"
        );
    }
}

#[test]
fn the_deploying_guide_counts_the_registry() {
    const WORDS: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    let n = Kind::ALL.len();
    let guide = read("docs/deploying.md");
    let words: Vec<&str> = guide
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // Any number word from eleven up counts the kinds (the functions or the routes).
    for word in &words {
        let lower = word.to_ascii_lowercase();
        if let Some(value) = WORDS.iter().position(|w| *w == lower)
            && value > 10
        {
            assert_eq!(
                value, n,
                "docs/deploying.md says `{word}`, the registry has {n} kinds"
            );
        }
    }
    // The throttling and scaling arithmetic: `N × 200` routes at the default throttle, `… / N =` per function.
    for (before, after) in [("", " × 200"), ("/ ", " =")] {
        for (at, _) in guide.match_indices(after) {
            let text = &guide[..at];
            let number = text
                .rsplit(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap_or_default();
            if text.ends_with(&format!("{before}{number}")) && !number.is_empty() {
                assert_eq!(
                    number,
                    n.to_string(),
                    "docs/deploying.md: `{before}{number}{after}`"
                );
            }
        }
    }
}
