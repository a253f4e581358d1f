//! The per-kind rows of `docs/deploying.md`: under "Configure the providers", one table per provider pairing the
//! provider's name for each kind (Omerlo `event_name`, Mighty Networks webhook name, Wix `eventType`, Calendly
//! `event`) with the stack output that holds its URL. They stay literal in the guide, between marker lines; the
//! prose around them is written by hand.

use rollcall::Provider;
use std::fmt::Write;

/// The line that opens `provider`'s rows.
fn begin(provider: Provider) -> String {
    format!(
        "<!-- BEGIN {} rows: written from the registry by `cargo xtask regenerate` (CONTRIBUTING.md); do not edit -->",
        provider.slug()
    )
}

/// The line that closes `provider`'s rows.
fn end(provider: Provider) -> String {
    format!("<!-- END {} rows -->", provider.slug())
}

/// The heading of the column of the provider's names.
const fn column(provider: Provider) -> &'static str {
    match provider {
        Provider::Omerlo => "Omerlo event (`event_name`)",
        Provider::MightyNetworks => "Mighty Networks webhook",
        Provider::Wix => "Wix event (`eventType`)",
        Provider::Calendly => "Calendly event (`events`)",
    }
}

/// `provider`'s table, set apart by blank lines from the marker lines.
fn table(provider: Provider) -> String {
    let mut out = format!(
        "\n| {} | URL (stack output) |\n|---|---|\n",
        column(provider)
    );
    for kind in provider.kinds() {
        let _ = writeln!(
            out,
            "| `{}` | `{}Url` (`…{}`) |",
            kind.wire_name(),
            kind.logical_name(),
            kind.route()
        );
    }
    out.push('\n');
    out
}

/// `guide` with every provider's rows written anew from the registry; an error names a missing marker line.
pub fn render(guide: &str) -> Result<String, String> {
    rollcall_testkit::template::replace(
        guide,
        Provider::ALL.map(|provider| ((begin(provider), end(provider)), table(provider))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall::Kind;

    #[test]
    fn each_provider_gets_a_row_per_kind_and_the_prose_stays() {
        let guide: String = Provider::ALL
            .into_iter()
            .map(|p| {
                format!(
                    "About {}.\n{}\nstale\n{}\nAfter.\n",
                    p.slug(),
                    begin(p),
                    end(p)
                )
            })
            .collect();
        let rendered = render(&guide).expect("every marker");
        assert!(!rendered.contains("stale"), "{rendered}");
        for provider in Provider::ALL {
            assert!(rendered.contains(&format!("About {}.\n", provider.slug())));
        }
        let kind = Kind::WixGuestCreated;
        let row = "| `wix.events.guests.v1.guest_created` | `WixGuestCreatedUrl` (`…/webhooks/wix/guest-created`) |";
        assert_eq!(kind.wire_name(), "wix.events.guests.v1.guest_created");
        assert!(rendered.contains(row), "{rendered}");
        let rows = rendered.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(rows, Kind::ALL.len());
        assert_eq!(
            render(&rendered),
            Ok(rendered.clone()),
            "rendering twice changes nothing"
        );
    }

    #[test]
    fn a_missing_marker_is_named() {
        let error = render("no markers\n").expect_err("markers missing");
        assert!(error.contains("BEGIN omerlo rows"), "{error}");
    }
}
