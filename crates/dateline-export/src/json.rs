//! One row as one line of JSON, and back: the value rules of `docs/export-format.md`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use dateline_db::export::{Kind, Table, Value};

use crate::ExportError;

/// The row as a JSON object, fields in column order, every column present (`null` when unset).
pub fn row_line(table: &Table, row: &[Value]) -> Result<String, ExportError> {
    let mut line = String::from("{");
    for (n, (column, value)) in table.columns.iter().zip(row).enumerate() {
        if n > 0 {
            line.push(',');
        }
        line.push_str(&json_text(&serde_json::Value::from(column.name))?);
        line.push(':');
        let field = match (column.kind, value) {
            (_, Value::Null) => serde_json::Value::Null,
            (_, Value::Int(n)) => serde_json::Value::from(*n),
            (_, Value::Bool(b)) => serde_json::Value::from(*b),
            (_, Value::Time(at)) => serde_json::Value::from(at.to_string()),
            (_, Value::Bytes(bytes)) => serde_json::Value::from(BASE64.encode(bytes)),
            (Kind::Json | Kind::ImageVariants, Value::Text(text)) => serde_json::from_str(text)
                .map_err(|e| {
                    ExportError::Invalid(format!(
                        "{}.{} holds text that is not JSON: {e}",
                        table.name, column.name
                    ))
                })?,
            (_, Value::Text(text)) => serde_json::Value::from(text.as_str()),
        };
        line.push_str(&json_text(&field)?);
    }
    line.push('}');
    Ok(line)
}

fn json_text(value: &serde_json::Value) -> Result<String, ExportError> {
    serde_json::to_string(value).map_err(|e| ExportError::Invalid(format!("JSON: {e}")))
}

/// A line of `table`'s file as a row. Fields this build does not know are ignored (a newer
/// Dateline of the same format version may add some); a missing field is an error.
pub fn parse_line(table: &Table, line: &str) -> Result<Vec<Value>, String> {
    let serde_json::Value::Object(mut fields) =
        serde_json::from_str::<serde_json::Value>(line).map_err(|e| format!("not JSON: {e}"))?
    else {
        return Err("not a JSON object".into());
    };
    let mut row = Vec::with_capacity(table.columns.len());
    for column in table.columns {
        let field = fields
            .remove(column.name)
            .ok_or_else(|| format!("the field {:?} is missing", column.name))?;
        let wrong = |expected: &str| {
            format!(
                "the field {:?} should be {expected}, not {}",
                column.name,
                short(&field)
            )
        };
        let value = match (column.kind, &field) {
            (_, serde_json::Value::Null) => Value::Null,
            (Kind::Int, serde_json::Value::Number(n)) => {
                Value::Int(n.as_i64().ok_or_else(|| wrong("a whole number"))?)
            }
            (Kind::Int, _) => return Err(wrong("a whole number")),
            (Kind::Bool, serde_json::Value::Bool(b)) => Value::Bool(*b),
            (Kind::Bool, _) => return Err(wrong("true or false")),
            (Kind::Time, serde_json::Value::String(text)) => {
                Value::Time(text.parse().map_err(|_| wrong("an RFC 3339 time"))?)
            }
            (Kind::Time, _) => return Err(wrong("an RFC 3339 time")),
            (Kind::Bytes, serde_json::Value::String(text)) => {
                Value::Bytes(BASE64.decode(text).map_err(|_| wrong("base64"))?)
            }
            (Kind::Bytes, _) => return Err(wrong("base64")),
            (Kind::Text | Kind::ObjectKey, serde_json::Value::String(text)) => {
                Value::Text(text.clone())
            }
            (Kind::Text | Kind::ObjectKey, _) => return Err(wrong("a string")),
            (Kind::Json | Kind::ImageVariants, json) => Value::Text(
                serde_json::to_string(json).map_err(|e| format!("{}: {e}", column.name))?,
            ),
        };
        row.push(value);
    }
    Ok(row)
}

fn short(value: &serde_json::Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// The storage keys a row names: its object-key columns and its image variants' keys.
pub fn object_keys(table: &Table, row: &[Value]) -> Result<Vec<String>, ExportError> {
    let mut keys = Vec::new();
    for (column, value) in table.columns.iter().zip(row) {
        match (column.kind, value) {
            (Kind::ObjectKey, Value::Text(key)) => keys.push(key.clone()),
            (Kind::ImageVariants, Value::Text(json)) => {
                #[derive(serde::Deserialize)]
                struct Variant {
                    key: String,
                }
                let variants: Vec<Variant> = serde_json::from_str(json).map_err(|e| {
                    ExportError::Invalid(format!("{}.{}: {e}", table.name, column.name))
                })?;
                keys.extend(variants.into_iter().map(|variant| variant.key));
            }
            _ => {}
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_survives_a_line() {
        let table = dateline_db::export::table("tips").expect("tips");
        let row: Vec<Value> = table
            .columns
            .iter()
            .map(|column| match column.kind {
                Kind::Int => Value::Int(-7),
                Kind::Time => Value::Time("2024-05-12T07:30:00.123456Z".parse().expect("time")),
                Kind::Bytes => Value::Bytes(vec![0, 1, 2, 250, 255]),
                Kind::Bool => Value::Bool(true),
                _ => Value::Text("line one\nline \"two\" é".into()),
            })
            .collect();
        let line = row_line(table, &row).expect("line");
        assert!(!line.contains('\n'), "{line}");
        assert!(line.starts_with("{\"id\":-7,\"received_at\":\"2024-05-12T07:30:00.123456Z\""));
        assert_eq!(parse_line(table, &line).expect("parsed"), row);
    }

    #[test]
    fn a_bad_field_is_named() {
        let table = dateline_db::export::table("tags").expect("tags");
        let error =
            parse_line(table, r#"{"id":"seven","slug":"a","name":"A"}"#).expect_err("a string id");
        assert!(error.contains("\"id\""), "{error}");
        let error = parse_line(table, r#"{"id":7,"name":"A"}"#).expect_err("no slug");
        assert!(error.contains("slug"), "{error}");
        // A field from a newer Dateline is ignored.
        assert_eq!(
            parse_line(table, r#"{"id":7,"slug":"a","name":"A","colour":"red"}"#)
                .expect("parsed")
                .len(),
            3
        );
    }
}
