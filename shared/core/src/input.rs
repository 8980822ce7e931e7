//! Client input: which keys are worth a storage lookup, and how an error description quotes
//! what a client sent. Pure text rules, shared by the rules that refuse input (application
//! rules, scope) and the edge's error writers.

use std::borrow::Cow;

/// Longest client_id (or other key from a request) looked up in storage.
pub const MAX_CLIENT_ID_LENGTH: usize = 255;

/// Whether `key` (an id, client_id or code from a request) could name a stored record: short
/// and printable. Anything else cannot exist, and is not sent to storage, whose keys have a
/// size limit (a longer one would come back as a storage error, not as "not found").
pub fn is_lookup_key(key: &str) -> bool {
    key.len() <= MAX_CLIENT_ID_LENGTH && key.chars().all(|c| !c.is_control())
}

/// RFC 6749 §5.2: "Values for the "error_description" parameter MUST NOT include characters
/// outside the set %x20-21 / %x23-5B / %x5D-7E."
pub fn is_description_char(c: char) -> bool {
    matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

/// What replaces a character RFC 6749 §5.2 does not allow in an `error_description`.
const REPLACEMENT: char = '?';

/// The most characters of client input any description quotes ([`echo_input`]).
pub const ECHO_MAX_CHARS: usize = 64;

/// The most characters of a whole description, whatever it quotes: a second line of defence
/// behind [`echo_input`], for a message that quotes input some other way (a library's).
pub const DESCRIPTION_MAX_CHARS: usize = 512;

/// What ends a text that was cut.
const CUT_MARK: &str = "...";

/// `text` cut to `max_chars` characters (then "..."), each character §5.2 does not allow
/// replaced: the one way input is shortened and cleaned for an error description.
fn cut(text: &str, max_chars: usize) -> Cow<'_, str> {
    let clean = text.chars().all(is_description_char);
    let long = text.chars().nth(max_chars).is_some();
    if clean && !long {
        return Cow::Borrowed(text);
    }
    let mut cut: String = text
        .chars()
        .take(max_chars)
        .map(|c| {
            if is_description_char(c) {
                c
            } else {
                REPLACEMENT
            }
        })
        .collect();
    if long {
        cut.push_str(CUT_MARK);
    }
    Cow::Owned(cut)
}

/// An `error_description` as sent: every character §5.2 does not allow replaced, and cut to
/// [`DESCRIPTION_MAX_CHARS`]. Borrowed (no copy) when the text is already clean and short, as
/// every description written here is.
pub fn description_text(text: &str) -> Cow<'_, str> {
    cut(text, DESCRIPTION_MAX_CHARS)
}

/// Client input to quote in an error description: at most [`ECHO_MAX_CHARS`] characters
/// (then "..."), each one §5.2 does not allow replaced, so that a description never carries
/// a client's line breaks, quotes or escapes back to it (or into a log line), nor more of its
/// input than a reader needs to recognize it.
pub fn echo_input(input: &str) -> String {
    cut(input, ECHO_MAX_CHARS).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_input_is_cut_to_64_characters_and_cleaned() {
        assert_eq!(echo_input("market:1"), "market:1");
        assert_eq!(echo_input("a\"b\\c\r\n"), "a?b?c??");
        let long = "\u{e9}".repeat(100);
        assert_eq!(echo_input(&long), format!("{}...", "?".repeat(64)));
        assert_eq!(echo_input(&"x".repeat(64)), "x".repeat(64));
        for c in (0..=0x7f_u8).map(char::from).chain(['\u{e9}', '\u{2028}']) {
            assert!(
                echo_input(&c.to_string()).chars().all(is_description_char),
                "{c:?}"
            );
        }
    }
}
