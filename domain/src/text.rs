//! Text normalisation shared by validation and (later) keyword matching:
//! NFKC, lower case, `ё` folded to `е`, runs of whitespace collapsed.

use unicode_normalization::UnicodeNormalization;

/// The comparison form of a phrase: two phrases that normalise alike are the
/// same query term.
pub fn fold(text: &str) -> String {
    // Most text is NFKC already: the quick check skips the costly composition.
    if unicode_normalization::is_nfkc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes {
        fold_chars(text.chars(), text.len())
    } else {
        fold_chars(text.nfkc(), text.len())
    }
}

fn fold_chars(chars: impl Iterator<Item = char>, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut pending_space = false;
    for c in chars.flat_map(char::to_lowercase) {
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

/// Whether `c` belongs to a word: a letter or a digit of any script. ASCII
/// and Russian letters answer without the Unicode tables (the common case).
#[inline]
pub fn is_word_char(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' | 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё' => true,
        '\0'..='\x7f' => false,
        _ => c.is_alphanumeric(),
    }
}

/// The words of a text: its runs of letters and digits.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_word_char(c)).filter(|w| !w.is_empty())
}

/// Trims and collapses inner whitespace, keeping case (the stored form).
pub fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_anything_but_letters_and_digits_of_any_script() {
        let text = "Дейнет's 5G—ok, #daynet; 東京 café ½";
        assert_eq!(words(text).collect::<Vec<_>>(), ["Дейнет", "s", "5G", "ok", "daynet", "東京", "café", "½"]);
        for c in ('\0'..='\u{2fff}').chain(['ё', 'Ё']) {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }

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

/// A cheap guess of the language from the script: `ru` when Cyrillic letters
/// dominate, `en` when Latin ones do, `None` when there are too few letters.
pub fn detect_language(text: &str) -> Option<&'static str> {
    let (mut cyrillic, mut latin) = (0usize, 0usize);
    for c in text.chars() {
        if matches!(c, '\u{0400}'..='\u{04FF}') {
            cyrillic += 1;
        } else if c.is_ascii_alphabetic() {
            latin += 1;
        }
    }
    if cyrillic >= 3 && cyrillic >= latin {
        Some("ru")
    } else if latin >= 3 {
        Some("en")
    } else {
        None
    }
}

#[cfg(test)]
mod language_tests {
    use super::detect_language;

    #[test]
    fn script_decides_the_language() {
        assert_eq!(detect_language("Доволен Дейнетом, but wifi"), Some("ru"));
        assert_eq!(detect_language("Love Daynet"), Some("en"));
        assert_eq!(detect_language("👍 1"), None);
    }
}
