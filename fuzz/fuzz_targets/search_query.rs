//! Any text, as a search query and as message text: parsing, cutting into terms and
//! highlighting never panic, and a query never keeps more than its cap of clauses.
#![no_main]

use hearth::domain::search::query::MAX_CLAUSES;
use hearth::domain::search::text::{self, Marks};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    for typing in [false, true] {
        if let Ok(query) = hearth::domain::search::parse(raw, today, typing) {
            assert!(query.must.len() + query.must_not.len() + query.filters.len() + query.excluded.len() <= MAX_CLAUSES);
        }
    }
    let pieces = text::pieces(raw, true);
    for p in &pieces {
        assert!(raw.is_char_boundary(p.from) && raw.is_char_boundary(p.to) && p.from <= p.to);
    }
    let _ = text::prefixes(raw);
    let marks = Marks { exact: pieces.iter().take(3).map(|p| p.text.clone()).collect(), prefix: vec!["de".into()] };
    let _ = text::highlight(raw, &marks, 150);
});
