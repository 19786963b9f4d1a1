//! `--field PATH` and `--merge PATH`: one value out of JSON event data.

use serde_json::Value;

/// The value at `path` in `value`: a JSON pointer (`/choices/0/delta`), or
/// dotted keys and indices (`choices.0.delta.content`, `choices[0].delta`).
pub(crate) fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if path.starts_with('/') {
        return value.pointer(path);
    }
    let dotted = path.replace('[', ".").replace(']', "");
    let mut current = value;
    for key in dotted.split('.').filter(|key| !key.is_empty()) {
        current = match current {
            Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
            Value::Object(map) => map.get(key)?,
            _ => return None,
        };
    }
    Some(current)
}

/// The text of the value at `path` in the JSON `data`: a string as it is,
/// anything else as compact JSON; `None` when the data is not JSON or has
/// no such value (or it is null).
pub(crate) fn text(data: &str, path: &str) -> Option<String> {
    let value: Value = serde_json::from_str(data).ok()?;
    match lookup(&value, path)? {
        Value::String(text) => Some(text.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHUNK: &str =
        r#"{"choices":[{"delta":{"content":"Hel"},"index":0}],"n":1.5,"none":null}"#;

    #[test]
    fn paths() {
        for path in [
            "choices.0.delta.content",
            "choices[0].delta.content",
            "/choices/0/delta/content",
        ] {
            assert_eq!(text(CHUNK, path).as_deref(), Some("Hel"), "{path}");
        }
        assert_eq!(text(CHUNK, "choices.0.index").as_deref(), Some("0"));
        assert_eq!(text(CHUNK, "n").as_deref(), Some("1.5"));
        assert_eq!(
            text(CHUNK, "choices.0.delta").as_deref(),
            Some(r#"{"content":"Hel"}"#)
        );
        assert_eq!(text(CHUNK, "none"), None);
        assert_eq!(text(CHUNK, "choices.1"), None);
        assert_eq!(text(CHUNK, "choices.x"), None);
        assert_eq!(text(CHUNK, "n.x"), None);
        assert_eq!(text("[DONE]", "n"), None);
        assert_eq!(text("not json", "n"), None);
    }
}
