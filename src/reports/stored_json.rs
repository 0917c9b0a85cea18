//! Stored answers objects split into their keys and values' text by hand, for the export,
//! which reads millions of them and needs only where each value is. serde_json's
//! `RawValue` reading took a tenth of an export's time. The objects are JSON the server
//! wrote; whatever this reader does not expect (an escape in a key, anything that is not
//! JSON) it declines, and the caller reads the object with serde_json as before.

/// Nesting this reader follows inside a value; deeper is left to serde_json.
const MAX_DEPTH: usize = 32;

/// The members of the JSON object `text`, each as its key and its value's text (as
/// `RawValue::get` gives it), in the order written; `None` when the text is not an object
/// this reader is sure of.
pub fn object_members(text: &str) -> Option<Vec<(&str, &str)>> {
    let b = text.as_bytes();
    let mut members = Vec::with_capacity(24);
    let mut i = space(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = space(b, i + 1);
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let key_end = plain_string_end(b, i + 1)?;
            let key = text.get(i + 1..key_end)?;
            i = space(b, key_end + 1);
            if b.get(i) != Some(&b':') {
                return None;
            }
            let start = space(b, i + 1);
            let end = value_end(b, start, 0)?;
            members.push((key, text.get(start..end)?));
            i = space(b, end);
            match b.get(i) {
                Some(b',') => i = space(b, i + 1),
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (space(b, i) == b.len()).then_some(members)
}

fn space(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
}

/// Where a string without escapes that starts at `i` (after its quote) ends: at its closing
/// quote. `None` for an escape or a control character.
fn plain_string_end(b: &[u8], i: usize) -> Option<usize> {
    let end = plain_run_end(b, i);
    (b.get(end) == Some(&b'"')).then_some(end)
}

/// Where the string that starts at `i` (at its opening quote) ends, after its closing quote.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        i = plain_run_end(b, i);
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => {
                i += match *b.get(i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                    b'u' if b.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) => 6,
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
}

/// The first byte from `i` on that ends a run of a string's plain text: a quote, a
/// backslash or a control character (or the end). Eight bytes at a time: a byte equal to
/// `n` is a zero byte of `x ^ n`, and a zero byte or one under 0x20 sets the high bit of
/// `(x - 0x01…) & !x` or `(x - 0x20…) & !x`. Past a flagged byte the borrow can flag more,
/// never before it, so the lowest flag is exact.
fn plain_run_end(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    const fn splat(byte: u8) -> u64 {
        u64::from_ne_bytes([byte; 8])
    }
    while let Some(chunk) = b.get(i..i + 8) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        let x = u64::from_le_bytes(eight);
        let zero_in = |y: u64| y.wrapping_sub(ONES) & !y;
        let flags = (zero_in(x ^ splat(b'"'))
            | zero_in(x ^ splat(b'\\'))
            | (x.wrapping_sub(splat(0x20)) & !x))
            & HIGH;
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + b.get(i..).map_or(0, |rest| {
        rest.iter()
            .position(|c| matches!(c, b'"' | b'\\' | 0..=0x1f))
            .unwrap_or(rest.len())
    })
}

/// Where the value that starts at `i` ends.
fn value_end(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' if depth < MAX_DEPTH => container_end(b, i, depth + 1),
        b't' => literal_end(b, i, b"true"),
        b'f' => literal_end(b, i, b"false"),
        b'n' => literal_end(b, i, b"null"),
        b'-' | b'0'..=b'9' => number_end(b, i),
        _ => None,
    }
}

fn literal_end(b: &[u8], i: usize, literal: &[u8]) -> Option<usize> {
    (b.get(i..i + literal.len())? == literal).then_some(i + literal.len())
}

/// A number as JSON has it: `-`, then `0` or digits not starting with `0`, then a fraction
/// and an exponent if any.
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |i: usize| i + b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match b.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(i),
        _ => return None,
    };
    if b.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

/// Where the object or list that starts at `i` ends, after its closing bracket.
fn container_end(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    let object = b[i] == b'{';
    let close = if object { b'}' } else { b']' };
    let mut i = space(b, i + 1);
    if b.get(i) == Some(&close) {
        return Some(i + 1);
    }
    loop {
        if object {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            i = space(b, string_end(b, i)?);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = space(b, i + 1);
        }
        i = space(b, value_end(b, i, depth)?);
        match *b.get(i)? {
            b',' => i = space(b, i + 1),
            c if c == close => return Some(i + 1),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use serde_json::value::RawValue;
    use serde_json::{json, Map, Value};

    /// What serde_json reads from the text: each key and its value's raw text, in order,
    /// duplicates kept.
    fn by_serde(text: &str) -> Option<Vec<(String, String)>> {
        struct Members(Vec<(String, String)>);
        impl<'de> serde::Deserialize<'de> for Members {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Visit;
                impl<'de> serde::de::Visitor<'de> for Visit {
                    type Value = Members;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Members, A::Error> {
                        let mut members = Vec::new();
                        while let Some((k, v)) = map.next_entry::<String, &RawValue>()? {
                            members.push((k, v.get().to_string()));
                        }
                        Ok(Members(members))
                    }
                }
                d.deserialize_map(Visit)
            }
        }
        serde_json::from_str::<Members>(text).ok().map(|m| m.0)
    }

    fn ours(text: &str) -> Option<Vec<(String, String)>> {
        object_members(text).map(|members| {
            members
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
    }

    fn random_value(rng: &mut StdRng, depth: usize) -> Value {
        let strings = [
            "",
            "plain",
            "with \"quotes\"",
            "back\\slash",
            "tab\there",
            "line\nbreak",
            "张伟",
            "emoji 😷",
            "\u{1}",
            "/slash",
            "=SUM(A1)",
        ];
        match rng.random_range(0..if depth > 2 { 5 } else { 7 }) {
            0 => Value::Null,
            1 => Value::Bool(rng.random()),
            2 => json!(rng.random_range(-1000i64..1000)),
            3 => json!(rng.random_range(-1e6f64..1e6)),
            4 => Value::String(strings[rng.random_range(0..strings.len())].to_string()),
            5 => Value::Array(
                (0..rng.random_range(0..4))
                    .map(|_| random_value(rng, depth + 1))
                    .collect(),
            ),
            _ => Value::Object(random_object(rng, depth + 1, 4)),
        }
    }

    fn random_object(rng: &mut StdRng, depth: usize, most: usize) -> Map<String, Value> {
        (0..rng.random_range(0..=most))
            .map(|n| (format!("question_{n}"), random_value(rng, depth)))
            .collect()
    }

    #[test]
    fn reads_what_serde_json_reads_from_objects_the_server_writes() {
        let mut rng = StdRng::seed_from_u64(2020);
        for _ in 0..2_000 {
            let object = Value::Object(random_object(&mut rng, 0, 24));
            for text in [
                object.to_string(),
                serde_json::to_string_pretty(&object).unwrap_or_default(),
            ] {
                let read = ours(&text);
                assert!(read.is_some(), "declined {text}");
                assert_eq!(read, by_serde(&text), "{text}");
            }
        }
    }

    #[test]
    fn a_run_of_plain_text_ends_where_a_byte_at_a_time_says() {
        let mut rng = StdRng::seed_from_u64(4180);
        let bytes = [
            b'a', b' ', b'"', b'\\', 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xe5, 0xff, b'!', b'#',
        ];
        for _ in 0..20_000 {
            let len = rng.random_range(0..40);
            let text: Vec<u8> = (0..len)
                .map(|_| match rng.random_range(0..4) {
                    0 => bytes[rng.random_range(0..bytes.len())],
                    _ => rng.random_range(b'a'..=b'z'),
                })
                .collect();
            for start in 0..=text.len() {
                let naive = start
                    + text[start..]
                        .iter()
                        .position(|c| *c == b'"' || *c == b'\\' || *c < 0x20)
                        .unwrap_or(text.len() - start);
                assert_eq!(plain_run_end(&text, start), naive, "{text:?} from {start}");
            }
        }
    }

    #[test]
    fn declines_what_is_not_json_and_keys_with_escapes() {
        let declined = [
            "",
            "[]",
            "null",
            "{",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":1e}",
            "{\"a\":-}",
            "{\"a\":+1}",
            "{\"a\":tru}",
            "{\"a\":\"x}",
            "{\"a\":\"\\q\"}",
            "{\"a\":\"\\u12G4\"}",
            "{\"a\":\"tab\there\"}",
            "{\"a\":[1,]}",
            "{\"a\":[1 2]}",
            "{\"a\":{\"b\"}}",
            "{\"a\":{\"b\":1]}",
            "{\"a\":[1}",
            "{\"a\":1} x",
            "{\"a\\n\":1}",
            "{'a':1}",
        ];
        for text in declined {
            assert_eq!(ours(text), None, "{text}");
        }
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(40), "]".repeat(40));
        assert_eq!(ours(&deep), None, "deeper than the reader follows");
        assert!(by_serde(&deep).is_some(), "serde_json reads it instead");
    }

    #[test]
    fn reads_whitespace_duplicates_and_escaped_values_as_written() {
        let text = " {\n \"a\" : \"x\\\"y\\u00e9\" , \"b\":[ 1 , {\"c\" : null} ],\"a\":-0.5e+3 } ";
        assert_eq!(
            object_members(text),
            Some(vec![
                ("a", "\"x\\\"y\\u00e9\""),
                ("b", "[ 1 , {\"c\" : null} ]"),
                ("a", "-0.5e+3"),
            ])
        );
        assert_eq!(ours(text), by_serde(text));
        assert_eq!(object_members("{}"), Some(vec![]));
        assert_eq!(object_members(" { } "), Some(vec![]));
    }
}
