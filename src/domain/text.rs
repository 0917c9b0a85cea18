//! Characters that change how a text looks without being seen: names made only of them look
//! blank, and bidirectional controls make a name or an address read in another order than
//! it is stored (`admin\u{202E}gpj.exe`).

use crate::problem::Problem;

/// What a name may not hold: control characters, bidirectional controls anywhere, or nothing
/// to see at all.
pub fn check_name_characters(name: &str) -> Result<(), Problem> {
    if name.chars().any(char::is_control) {
        return Err(Problem::control_characters());
    }
    if name.chars().any(is_bidi_control) {
        return Err(Problem::bidi_controls());
    }
    if looks_blank(name) {
        return Err(Problem::only_invisible_characters());
    }
    Ok(())
}

/// The explicit embeddings, overrides and isolates: U+202A–U+202E and U+2066–U+2069.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that shows nothing by itself: format characters (zero-width spaces and
/// joiners, word joiners, the byte-order mark, the soft hyphen, bidi marks), variation
/// selectors, fillers that render as blanks (Hangul, braille), and tag characters.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
            | '\u{E0100}'..='\u{E01EF}'
    )
}

/// Nothing in `text` would be seen: only spaces and invisible characters.
pub fn looks_blank(text: &str) -> bool {
    text.chars().all(|c| c.is_whitespace() || is_invisible(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_names_look_blank_and_letters_do_not() {
        for blank in [
            "\u{200B}",
            "\u{2060}\u{FEFF}",
            "\u{00AD} \u{3164}",
            "\u{115F}\u{1160}",
            "",
        ] {
            assert!(looks_blank(blank), "{blank:?}");
        }
        for seen in ["李雷", "a\u{200B}", "\u{200D}👍", "Ana\u{00AD}lyst"] {
            assert!(!looks_blank(seen), "{seen:?}");
        }
    }

    #[test]
    fn bidi_controls_are_the_embeddings_overrides_and_isolates() {
        for c in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            assert!(is_bidi_control(c), "{c:?}");
        }
        for c in ['\u{200E}', '\u{200F}', '\u{2065}', 'a'] {
            assert!(!is_bidi_control(c), "{c:?}");
        }
    }
}
