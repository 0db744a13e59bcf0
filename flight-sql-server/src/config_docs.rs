//! Renders `docs/configuration.md` from the flags' `--help` text and the session keys'
//! descriptions, so the document cannot drift from the code: a test compares the two, and
//! `TREBUCHET_UPDATE_DOCS=1 cargo test -p trebuchet-flight-sql-server config_docs` rewrites it.

use std::fmt::Write;

use clap::CommandFactory;
use datafusion::prelude::SessionConfig;
use trebuchet_cluster::default_session_config;

use crate::config::Cli;

/// The whole configuration reference, as Markdown.
pub fn configuration_markdown() -> String {
    let mut doc = String::from(
        "# Configuration\n\n\
         <!-- Generated from the code by config_docs.rs; do not edit by hand. -->\n\n\
         Trebuchet is configured in two places: command-line flags (each also read from a\n\
         `TREBUCHET_…` environment variable) fix how a process runs; session keys, changed with\n\
         `SET key = value`, `RESET key` or the Flight `SetSessionOptions` action, change one\n\
         session only. `SHOW key` and `SHOW ALL` read them.\n",
    );
    write_flags(&mut doc);
    write_session_keys(&mut doc);
    doc
}

fn write_flags(doc: &mut String) {
    let cli = Cli::command();
    for subcommand in cli.get_subcommands() {
        let _ = write!(
            doc,
            "\n## `trebuchet {}`\n\n{}\n\n| flag | environment | default | meaning |\n| --- | --- | --- | --- |\n",
            subcommand.get_name(),
            subcommand
                .get_about()
                .map(|about| about.to_string())
                .unwrap_or_default()
        );
        for arg in subcommand.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            let env = arg
                .get_env()
                .map(|env| format!("`{}`", env.to_string_lossy()))
                .unwrap_or_default();
            let default = arg
                .get_default_values()
                .iter()
                .map(|value| format!("`{}`", value.to_string_lossy()))
                .collect::<Vec<_>>()
                .join(", ");
            let help = arg
                .get_help()
                .map(|help| help.to_string())
                .unwrap_or_default();
            let _ = writeln!(
                doc,
                "| `--{long}` | {env} | {default} | {} |",
                escape(&help)
            );
        }
    }
}

fn write_session_keys(doc: &mut String) {
    let ours = default_session_config();
    let datafusion = SessionConfig::new();
    let datafusion_default = |key: &str| {
        datafusion
            .options()
            .entries()
            .into_iter()
            .find(|entry| entry.key == key)
            .and_then(|entry| entry.value)
    };
    doc.push_str(
        "\n## Session keys\n\n\
         Defaults marked **(Trebuchet)** differ from DataFusion's own: sixteen target partitions\n\
         rather than the core count and sort-merge join rather than hash join (it can spill).\n\
         Strings are read as view types inside the engine and leave it as plain `Utf8`.\n\
         `ballista.*` keys keep the names our users already have in their settings.\n\n\
         | key | default | meaning |\n| --- | --- | --- |\n",
    );
    for entry in ours.options().entries() {
        let value = entry.value.clone().unwrap_or_default();
        let differs = entry.key.starts_with("datafusion.")
            && datafusion_default(&entry.key).unwrap_or_default() != value
            && entry.key != "datafusion.execution.planning_concurrency";
        let marker = if differs { " **(Trebuchet)**" } else { "" };
        let _ = writeln!(
            doc,
            "| `{}` | `{}`{marker} | {} |",
            entry.key,
            escape(&value),
            escape(entry.description)
        );
    }
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_doc_is_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/configuration.md");
        let generated = configuration_markdown();
        if std::env::var_os("TREBUCHET_UPDATE_DOCS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let current = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            current == generated,
            "docs/configuration.md is stale: run TREBUCHET_UPDATE_DOCS=1 cargo test -p trebuchet-flight-sql-server config_docs"
        );
    }

    #[test]
    fn documents_every_flag_and_the_ballista_keys() {
        let doc = configuration_markdown();
        for expected in [
            "`--tpch-scale`",
            "`TREBUCHET_PORT`",
            "`ballista.shuffle.sort_based.spill_threshold` | `0.8`",
        ] {
            assert!(doc.contains(expected), "{expected}");
        }
        assert!(doc.contains("`datafusion.execution.target_partitions` | `16` **(Trebuchet)**"));
    }
}
