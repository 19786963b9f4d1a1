//! Just enough JSON: string literals from raw stream bytes.

use std::io::{self, Write};

/// Writes `bytes` as a JSON string literal: invalid UTF-8 replaced by U+FFFD
/// (as `String::from_utf8_lossy` does), `"` and `\` escaped, control
/// characters escaped.
pub(crate) fn write_str(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    let text = String::from_utf8_lossy(bytes);
    out.write_all(b"\"")?;
    let mut rest = text.as_bytes();
    while let Some(pos) = rest
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
    {
        let (before, special) = rest.split_at(pos);
        out.write_all(before)?;
        let Some((&byte, after)) = special.split_first() else {
            break; // `pos` is the position of a byte of `rest`: not reached
        };
        match byte {
            b'"' => out.write_all(b"\\\"")?,
            b'\\' => out.write_all(b"\\\\")?,
            b'\n' => out.write_all(b"\\n")?,
            b'\r' => out.write_all(b"\\r")?,
            b'\t' => out.write_all(b"\\t")?,
            control => write!(out, "\\u{control:04x}")?,
        }
        rest = after;
    }
    out.write_all(rest)?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::write_str;

    fn json(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        write_str(&mut out, bytes).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes() {
        assert_eq!(json(b"plain"), r#""plain""#);
        assert_eq!(json(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            json(b"\n\r\t\x00\x1f\x7f"),
            "\"\\n\\r\\t\\u0000\\u001f\x7f\""
        );
        assert_eq!(json("é\u{2028}".as_bytes()), "\"é\u{2028}\"");
        assert_eq!(json(b"a\xffb"), "\"a\u{fffd}b\"");
    }
}
