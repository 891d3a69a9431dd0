//! Property tests of the strict SSE parser.

use agentcore_mcp_suite::wire::sse::{SseParser, parse};
use proptest::prelude::*;

/// Well-formed streams: events of data lines (no CR/LF inside), LF endings, with comments.
fn stream() -> impl Strategy<Value = (Vec<Vec<String>>, String)> {
    let line = "[a-zA-Z0-9 {}\":,]{0,20}";
    prop::collection::vec(prop::collection::vec(line, 1..4), 0..6).prop_map(|events| {
        let mut text = String::new();
        for (i, event) in events.iter().enumerate() {
            if i % 2 == 1 {
                text.push_str(": keep-alive\n");
            }
            for data in event {
                text.push_str(&format!("data: {data}\n"));
            }
            text.push('\n');
        }
        (events, text)
    })
}

/// The obvious reading of a well-formed LF stream: blank lines split events.
fn reference_parse(text: &str) -> Vec<String> {
    text.split("\n\n")
        .filter(|block| !block.is_empty())
        .filter_map(|block| {
            let data: Vec<&str> = block
                .lines()
                .filter(|l| !l.starts_with(':'))
                .filter_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
                .collect();
            (!data.is_empty()).then(|| data.join("\n"))
        })
        .collect()
}

/// Feeds `bytes` to one parser in pieces cut at `cuts` (clamped, in order).
fn parse_in_pieces(bytes: &[u8], cuts: Vec<usize>) -> agentcore_mcp_suite::wire::sse::SseStream {
    let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
    cuts.sort();
    let mut parser = SseParser::new();
    let mut start = 0;
    for cut in cuts {
        parser.feed(&bytes[start..cut]);
        start = cut;
    }
    parser.feed(&bytes[start..]);
    parser.finish()
}

proptest! {
    #[test]
    fn any_chunking_gives_the_same_events((_, text) in stream(), cuts in prop::collection::vec(0usize..400, 0..8), crlf in any::<bool>()) {
        let text = if crlf { text.replace('\n', "\r\n") } else { text };
        let bytes = text.as_bytes();
        let whole = parse(bytes);
        let chunked = parse_in_pieces(bytes, cuts);
        prop_assert_eq!(&chunked.events, &whole.events);
        prop_assert_eq!(chunked.line_endings, whole.line_endings);
        prop_assert!(whole.findings.is_empty(), "{:?}", whole.findings);
    }

    #[test]
    fn agrees_with_a_simple_parse_of_well_formed_streams((events, text) in stream()) {
        let parsed: Vec<String> = parse(text.as_bytes()).events.into_iter().map(|e| e.data).collect();
        prop_assert_eq!(&parsed, &reference_parse(&text));
        prop_assert_eq!(parsed.len(), events.len());
    }

    /// Any bytes at all, cut anywhere: no panic, and the same events and findings as in one piece.
    #[test]
    fn arbitrary_bytes_never_panic_in_any_chunking(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        cuts in prop::collection::vec(0usize..600, 0..10),
    ) {
        let whole = parse(&bytes);
        let chunked = parse_in_pieces(&bytes, cuts);
        prop_assert_eq!(&chunked.events, &whole.events);
    }
}
