//! JSON text written by hand, for the resource API's documents: a page of 25 records is
//! mostly short ASCII strings, which serde_json escapes a byte at a time. Here a string that
//! needs no escape (most: ids, codes, links) is copied whole, and the rest is left to
//! serde_json, so the text is exactly what serde_json writes.

/// A JSON text being written: objects' members in the order they are given.
pub struct JsonText {
    text: String,
    /// Whether the object or array being written has a member or element yet.
    started: Vec<bool>,
}

/// RFC 8259 §7: "All Unicode characters may be placed within the quotation marks, except for
/// the characters that MUST be escaped: quotation mark, reverse solidus, and the control
/// characters (U+0000 through U+001F)."
fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Whether `value` can be written between quotes as it is. A fold, not `any`: without an early
/// exit the compiler checks 16 bytes at a time.
fn is_plain(value: &str) -> bool {
    !value
        .bytes()
        .fold(false, |escape, byte| escape | needs_escape(byte))
}

impl JsonText {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            text: String::with_capacity(capacity),
            started: Vec::with_capacity(4),
        }
    }

    /// The comma before a member or element that is not its container's first.
    fn separate(&mut self) {
        if let Some(started) = self.started.last_mut() {
            if *started {
                self.text.push(',');
            }
            *started = true;
        }
    }

    pub fn begin_object(&mut self) -> &mut Self {
        self.text.push('{');
        self.started.push(false);
        self
    }

    pub fn begin_array(&mut self) -> &mut Self {
        self.text.push('[');
        self.started.push(false);
        self
    }

    pub fn end_object(&mut self) -> &mut Self {
        self.started.pop();
        self.text.push('}');
        self
    }

    pub fn end_array(&mut self) -> &mut Self {
        self.started.pop();
        self.text.push(']');
        self
    }

    /// A member's name, a literal of the documents that needs no escape: the value written
    /// next is its value.
    pub fn key(&mut self, name: &'static str) -> &mut Self {
        debug_assert!(is_plain(name), "{name:?} needs escaping");
        self.separate();
        self.text.push('"');
        self.text.push_str(name);
        self.text.push_str("\":");
        self
    }

    /// Before each element of an array: its comma, if it is not the first. (An object's
    /// members get theirs from `key`; a value never writes one.)
    pub fn element(&mut self) -> &mut Self {
        self.separate();
        self
    }

    pub fn string(&mut self, value: &str) -> &mut Self {
        self.push_string(value);
        self
    }

    /// A string value made of `parts`, joined.
    pub fn joined(&mut self, parts: &[&str]) -> &mut Self {
        if parts.iter().all(|part| is_plain(part)) {
            self.text.push('"');
            parts.iter().for_each(|part| self.text.push_str(part));
            self.text.push('"');
        } else {
            self.push_string(&parts.concat());
        }
        self
    }

    pub fn number(&mut self, value: u64) -> &mut Self {
        self.text.push_str(Decimal::of(value).as_str());
        self
    }

    pub fn null(&mut self) -> &mut Self {
        self.text.push_str("null");
        self
    }

    pub fn boolean(&mut self, value: bool) -> &mut Self {
        self.text.push_str(if value { "true" } else { "false" });
        self
    }

    fn push_string(&mut self, value: &str) {
        if is_plain(value) {
            self.text.push('"');
            self.text.push_str(value);
            self.text.push('"');
        } else {
            // serde_json's escapes: `\"`, `\\`, `\n` and the like, `\u00XX` for the rest.
            let escaped = serde_json::to_string(value).expect("a string serializes");
            self.text.push_str(&escaped);
        }
    }

    pub fn finish(self) -> String {
        self.text
    }
}

/// A number's decimal digits, written without the formatting machinery.
pub struct Decimal {
    digits: [u8; 20],
    start: usize,
}

impl Decimal {
    pub fn of(mut value: u64) -> Self {
        let mut digits = [b'0'; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                return Self { digits, start };
            }
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits were written.
        std::str::from_utf8(&self.digits[self.start..]).unwrap_or("0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_the_numbers_digits() {
        for n in [0, 7, 10, 99, 1001, 123_456_789, u64::MAX] {
            assert_eq!(Decimal::of(n).as_str(), n.to_string());
        }
    }
}
