//! Text normalisation shared by validation and (later) keyword matching:
//! NFKC, lower case, `ё` folded to `е`, runs of whitespace collapsed.

use unicode_normalization::UnicodeNormalization;

/// The comparison form of a phrase: two phrases that normalise alike are the
/// same query term.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfkc().flat_map(char::to_lowercase) {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(if c == 'ё' { 'е' } else { c });
    }
    out
}

/// Trims and collapses inner whitespace, keeping case (the stored form).
pub fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_lowercases_and_merges_yo_with_ye() {
        assert_eq!(fold("  Ёлка   ДЕЙНЕТ "), "елка дейнет");
    }

    #[test]
    fn fold_applies_nfkc() {
        // U+FB01 LATIN SMALL LIGATURE FI and a full-width A
        assert_eq!(fold("\u{FB01}ne \u{FF21}"), "fine a");
    }

    #[test]
    fn tidy_keeps_case() {
        assert_eq!(tidy("  Day\t net "), "Day net");
    }
}
