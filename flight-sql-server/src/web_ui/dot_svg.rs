//! A job's stage graph as SVG, laid out in process from the same dot the API serves
//! (`layout-rs`, a Rust Graphviz-style layout), so the UI needs no Graphviz in the
//! browser or on the server.
//!
//! The layout crate reads only quoted labels, so the dot's HTML-like labels are made
//! plain first: line breaks become `\n`, bold tags go, entities are decoded and the text
//! quoted ([`plain_labels`]).

use std::panic::{AssertUnwindSafe, catch_unwind};

use layout::backends::svg::SVGWriter;
use layout::gv::{DotParser, GraphBuilder};

/// Lays out `dot` and draws it as SVG. Its errors are the layout's, worded for the client:
/// the layout crate panics on inputs it does not support, and that must not take the
/// request (or the server) down.
pub(crate) fn dot_to_svg(dot: &str) -> Result<String, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let dot = plain_labels(dot)?;
        let mut parser = DotParser::new(&dot);
        let graph = parser
            .process()
            .map_err(|err| format!("the stage graph could not be parsed: {err}"))?;
        let mut builder = GraphBuilder::new();
        builder.visit_graph(&graph);
        let mut visual = builder.get();
        let mut svg = SVGWriter::new();
        visual.do_it(false, false, false, &mut svg);
        Ok(svg.finalize())
    }))
    .unwrap_or_else(|_| Err("the stage graph could not be laid out".to_string()))
}

/// `dot` with every `label=<…>` rewritten as `label="…"`.
fn plain_labels(dot: &str) -> Result<String, String> {
    const OPEN: &str = "label=<";
    let mut plain = String::with_capacity(dot.len());
    let mut rest = dot;
    while let Some(start) = rest.find(OPEN) {
        plain.push_str(&rest[..start]);
        let label = &rest[start + OPEN.len()..];
        // Tags nest inside the label; its text has `<` and `>` escaped.
        let mut depth = 1;
        let end = label
            .char_indices()
            .find_map(|(at, c)| {
                match c {
                    '<' => depth += 1,
                    '>' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(at)
            })
            .ok_or_else(|| "the stage graph has an unclosed label".to_string())?;
        plain.push_str("label=\"");
        plain.push_str(&quoted(&html_text(&label[..end])));
        plain.push('"');
        rest = &label[end + 1..];
    }
    plain.push_str(rest);
    Ok(plain)
}

/// The text of an HTML-like label: `<BR…/>` is a line break, other tags go, entities
/// are decoded.
fn html_text(label: &str) -> String {
    let mut text = String::with_capacity(label.len());
    let mut rest = label;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        if rest[open..].starts_with("<BR") {
            text.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    text.push_str(rest);
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// `text` as the inside of a dot quoted string.
fn quoted(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_stage_graph_becomes_svg_with_every_operator() {
        let dot = r#"digraph job {
            subgraph cluster_stage_1 { label="Stage 1"; s1_0 [label="ShuffleWriterExec"]; s1_1 [label="DataSourceExec"]; s1_1 -> s1_0; }
            subgraph cluster_stage_2 { label="Stage 2"; s2_0 [label="ShuffleReaderExec: stage=1"]; }
            s1_0 -> s2_0 [label="Hash([a@0], 2)"];
        }"#;
        let svg = dot_to_svg(dot).unwrap();
        assert!(svg.starts_with("<?xml"), "{svg}");
        for label in [
            "ShuffleWriterExec",
            "DataSourceExec",
            "ShuffleReaderExec: stage=1",
        ] {
            assert!(svg.contains(label), "{label} missing from {svg}");
        }
    }

    #[test]
    fn html_labels_become_quoted_text() {
        let dot = r#"digraph { a [label=<<B>stage 1</B> done<BR/>x &gt; 1 AND s = &quot;a\b&quot;<BR ALIGN="LEFT"/>>]; }"#;
        assert_eq!(
            plain_labels(dot).unwrap(),
            r#"digraph { a [label="stage 1 done\nx > 1 AND s = \"a\\b\"\n"]; }"#
        );
        let svg = dot_to_svg(dot).unwrap();
        assert!(svg.contains("stage 1 done"), "{svg}");
    }

    #[test]
    fn what_is_not_dot_is_an_error_not_a_panic() {
        assert!(dot_to_svg("digraph { a [label=<x]; }").is_err());
        assert!(dot_to_svg("digraph {").is_err());
        assert!(dot_to_svg("").is_err());
    }
}
