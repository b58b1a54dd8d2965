//! Text normalisation shared by validation and (later) keyword matching:
//! NFKC, lower case, `ё` folded to `е`, runs of whitespace collapsed.

use unicode_normalization::UnicodeNormalization;

/// The comparison form of a phrase: two phrases that normalise alike are the
/// same query term.
pub fn fold(text: &str) -> String {
    // Most text is NFKC already: the quick check skips the costly composition,
    // and text of ASCII and Russian letters alone skips the check too.
    if text.chars().all(nfkc_stable) {
        return fold_chars(text.chars(), text.len());
    }
    let folded = if unicode_normalization::is_nfkc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes {
        fold_chars(text.chars(), text.len())
    } else {
        fold_chars(text.nfkc(), text.len())
    };
    // Lower case can make what composes anew (`T` + diaeresis has no
    // precomposed form, `t` + diaeresis has: `ẗ`): composed again, so that
    // folding folded text changes nothing.
    if unicode_normalization::is_nfc_quick(folded.chars()) == unicode_normalization::IsNormalized::Yes {
        folded
    } else {
        fold_chars(folded.nfc(), folded.len())
    }
}

/// Characters that NFKC leaves alone whatever surrounds them: ASCII and the
/// Russian alphabet (a unit test checks them against the Unicode tables).
#[inline]
fn nfkc_stable(c: char) -> bool {
    matches!(c, '\0'..='\x7f' | 'А'..='я' | 'Ё' | 'ё')
}

fn fold_chars(chars: impl Iterator<Item = char>, capacity: usize) -> String {
    let mut out = Folded { text: String::with_capacity(capacity), pending_space: false };
    for c in chars {
        // ASCII and Russian letters skip the Unicode case tables (the common case).
        match c {
            'a'..='z' | '0'..='9' | 'а'..='я' => out.push(c),
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            // А..Я and а..я are two runs of 32 code points.
            'А'..='Я' => out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
            _ => c.to_lowercase().for_each(|l| out.push(l)),
        }
    }
    out.text
}

/// Folded text as it is written: runs of whitespace become one space
/// (none at the ends), and `ё` is written `е`.
struct Folded {
    text: String,
    pending_space: bool,
}

impl Folded {
    #[inline]
    fn push(&mut self, c: char) {
        if c.is_whitespace() {
            self.pending_space = !self.text.is_empty();
            return;
        }
        if self.pending_space {
            self.text.push(' ');
            self.pending_space = false;
        }
        // `е` with a combining diaeresis is `ё` spelt in two code points
        // (however many diaereses follow, once `ё` itself became `е`): it
        // is written `е` too, so folding folded text changes nothing.
        if c == '\u{308}' && self.text.ends_with('е') {
            return;
        }
        self.text.push(if c == 'ё' { 'е' } else { c });
    }
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

/// Places of one target read at most: a text naming its brand a thousand
/// times costs what one naming it a few times does.
pub const MAX_PLACES: usize = 16;

/// Where `forms` occur in `folded` (text folded by [`fold`]): the byte
/// ranges of every run of its words equal to a form's words (the form
/// folded too), in text order, at most [`MAX_PLACES`]. A form matches whole
/// words only, in any case, with any punctuation between its words
/// (`Дейнет-Про` is the form `дейнет про`). What a brand's query matched,
/// and what `POST /v1/sentiment/analyze` names as a target, are found so.
pub fn places<S: AsRef<str>>(folded: &str, forms: &[S]) -> Vec<(usize, usize)> {
    let base = folded.as_ptr() as usize;
    let text: Vec<(usize, &str)> = words(folded).map(|w| (w.as_ptr() as usize - base, w)).collect();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for form in forms {
        let form = fold(form.as_ref());
        let want: Vec<&str> = words(&form).collect();
        if want.is_empty() || want.len() > text.len() {
            continue;
        }
        for i in 0..=text.len() - want.len() {
            if want.iter().zip(&text[i..]).all(|(w, (_, t))| w == t) {
                let (last, w) = text[i + want.len() - 1];
                out.push((text[i].0, last + w.len()));
                if out.len() >= 4 * MAX_PLACES {
                    break;
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out.truncate(MAX_PLACES);
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
        // `ё` in two code points, and a stray second diaeresis (found by
        // tests/api/props.rs): folded once, folding again changes nothing.
        for text in ["е\u{308}лка", "Ё\u{308}", "Е\u{308}\u{308}ж", "T\u{308}", "İ"] {
            let once = fold(text);
            assert!(!once.contains('\u{308}'), "{text:?} → {once:?}");
            assert_eq!(fold(&once), once, "{text:?}");
        }
    }

    #[test]
    fn fold_fast_paths_lowercase_as_unicode_does() {
        for c in '\0'..='\u{2fff}' {
            let text = format!("x{c}x");
            let expected: String =
                text.chars().flat_map(char::to_lowercase).map(|l| if l == 'ё' { 'е' } else { l }).collect();
            if !expected.chars().any(char::is_whitespace) {
                assert_eq!(fold_chars(text.chars(), text.len()), expected, "{c:?}");
            }
        }
    }

    #[test]
    fn the_nfkc_stable_characters_are_nfkc_and_start_no_composition() {
        use unicode_normalization::char::canonical_combining_class;
        for c in ('\0'..='\u{2fff}').filter(|&c| nfkc_stable(c)) {
            let text = c.to_string();
            assert_eq!(text.nfkc().collect::<String>(), text, "{c:?}");
            assert_eq!(canonical_combining_class(c), 0, "{c:?}");
            assert_eq!(
                unicode_normalization::is_nfkc_quick(std::iter::once(c)),
                unicode_normalization::IsNormalized::Yes,
                "{c:?}"
            );
        }
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
