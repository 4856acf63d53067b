//! A schema-checking reader over `serde_json::Value`.
//!
//! Serde derive stops at the first problem; validation must report them all.
//! [`Obj`] wraps one JSON object with the list of keys the format allows:
//! creating it reports every unknown key, and each accessor reports a missing
//! required field, a wrong type or a bad enum value as a finding and returns
//! `None`, so a reader asks for every field first and builds its value at the
//! end (`Some(Thing { a: a?, b: b? })`) — one pass, every finding.

use crate::report::{Finding, FindingContext, FindingKind, Layer, Sink};
use crate::util::did_you_mean;
use chrono::NaiveDate;
use serde_json::{Map, Value};

/// Parses JSON text, reporting a syntax error as `ParseError` with its line.
pub(crate) fn parse(file: &str, text: &str, sink: &mut Sink) -> Option<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            let ctx = FindingContext::file(file).line(e.line());
            sink.push(
                Finding::error(
                    FindingKind::ParseError,
                    Layer::Schema,
                    ctx,
                    format!("invalid JSON: {e}"),
                )
                .suggest("fix the JSON syntax at the reported line and column"),
            );
            None
        }
    }
}

/// Name of a JSON value's type, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// One JSON object being read, with its location and the allowed keys.
pub(crate) struct Obj<'v, 's> {
    file: &'static str,
    path: String,
    entity: Option<(&'static str, i64)>,
    map: &'v Map<String, Value>,
    sink: &'s mut Sink,
}

impl<'v, 's> Obj<'v, 's> {
    /// The root object of a file. `$schema` is always allowed at the root.
    pub(crate) fn root(
        sink: &'s mut Sink,
        file: &'static str,
        value: &'v Value,
        allowed: &[&str],
    ) -> Option<Self> {
        let mut keys: Vec<&str> = allowed.to_vec();
        keys.push("$schema");
        Self::make(sink, file, String::new(), None, value, &keys)
    }

    fn make(
        sink: &'s mut Sink,
        file: &'static str,
        path: String,
        entity: Option<(&'static str, i64)>,
        value: &'v Value,
        allowed: &[&str],
    ) -> Option<Self> {
        let Value::Object(map) = value else {
            let mut ctx = FindingContext::file(file);
            if !path.is_empty() {
                ctx = ctx.path(path.clone());
            }
            if let Some((k, id)) = entity {
                ctx = ctx.entity(k, id);
            }
            sink.push(Finding::error(
                FindingKind::TypeMismatch,
                Layer::Schema,
                ctx,
                format!(
                    "expected an object at `{}`, found {}",
                    if path.is_empty() { "(root)" } else { &path },
                    type_name(value)
                ),
            ));
            return None;
        };
        let obj = Self {
            file,
            path,
            entity,
            map,
            sink,
        };
        for key in obj.map.keys() {
            if !allowed.contains(&key.as_str()) {
                let f = Finding::error(
                    FindingKind::SchemaViolation,
                    Layer::Schema,
                    obj.ctx(key),
                    format!("unknown field `{key}`"),
                )
                .suggest(format!(
                    "remove it or correct its name: {}",
                    did_you_mean(key, allowed)
                ));
                obj.sink.push(f);
            }
        }
        Some(obj)
    }

    /// Sets the entity this object describes (inherited by child objects).
    pub(crate) fn set_entity(&mut self, kind: &'static str, id: i64) {
        self.entity = Some((kind, id));
    }

    /// A required 32-bit id field that, when read, makes this object the
    /// entity `kind` with that id (see [`Obj::set_entity`]).
    pub(crate) fn req_entity_id(&mut self, key: &str, kind: &'static str) -> Option<i32> {
        let id = self.req_i32(key);
        if let Some(id) = id {
            self.set_entity(kind, i64::from(id));
        }
        id
    }

    /// Context for a finding about `field` of this object.
    pub(crate) fn ctx(&self, field: &str) -> FindingContext {
        let mut c = FindingContext::file(self.file)
            .path(join(&self.path, field))
            .field(field);
        if let Some((k, id)) = self.entity {
            c = c.entity(k, id);
        }
        c
    }

    /// Records an error about `field`.
    pub(crate) fn error(&mut self, kind: FindingKind, field: &str, msg: impl Into<String>) {
        let ctx = self.ctx(field);
        self.sink
            .push(Finding::error(kind, Layer::Schema, ctx, msg.into()));
    }

    /// The sink, for readers that build findings themselves.
    pub(crate) fn sink(&mut self) -> &mut Sink {
        self.sink
    }

    /// Whether `key` is present with a non-null value.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    /// The raw value of `key`, when present and not null.
    pub(crate) fn raw(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn missing(&mut self, key: &str) {
        let ctx = self.ctx(key);
        let what = if self.path.is_empty() {
            "the file".to_string()
        } else {
            format!("`{}`", self.path)
        };
        self.sink.push(
            Finding::error(
                FindingKind::SchemaViolation,
                Layer::Schema,
                ctx,
                format!("missing required field `{key}` in {what}"),
            )
            .suggest(format!("add `{key}`")),
        );
    }

    fn mismatch(&mut self, key: &str, expected: &str, v: &Value) {
        let ctx = self.ctx(key);
        self.sink.push(Finding::error(
            FindingKind::TypeMismatch,
            Layer::Schema,
            ctx,
            format!("`{key}` must be {expected}, found {}", type_name(v)),
        ));
    }

    /// A required value: present and not null.
    pub(crate) fn require(&mut self, key: &str, expected: &str) -> Option<&'v Value> {
        self.required(key, expected)
    }

    fn required(&mut self, key: &str, expected: &str) -> Option<&'v Value> {
        match self.map.get(key) {
            None => {
                self.missing(key);
                None
            }
            Some(Value::Null) => {
                let v = &Value::Null;
                self.mismatch(key, expected, v);
                None
            }
            Some(v) => Some(v),
        }
    }

    fn as_f64(&mut self, key: &str, v: &Value) -> Option<f64> {
        match v.as_f64() {
            Some(x) if v.is_number() => Some(x),
            _ => {
                self.mismatch(key, "a number", v);
                None
            }
        }
    }

    fn as_int(&mut self, key: &str, v: &Value, lo: i64, hi: i64, what: &str) -> Option<i64> {
        let n = match v {
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Some(i)
                } else if n.is_u64() {
                    None
                } else {
                    self.mismatch(key, what, v);
                    return None;
                }
            }
            _ => {
                self.mismatch(key, what, v);
                return None;
            }
        };
        match n {
            Some(i) if (lo..=hi).contains(&i) => Some(i),
            _ => {
                let ctx = self.ctx(key);
                self.sink.push(Finding::error(
                    FindingKind::OutOfRange,
                    Layer::Schema,
                    ctx,
                    format!("`{key}` = {v} is outside [{lo}, {hi}]"),
                ));
                None
            }
        }
    }

    /// `v` as a 32-bit integer (reported when it is not one).
    fn as_i32(&mut self, key: &str, v: &Value) -> Option<i32> {
        self.as_int(
            key,
            v,
            i64::from(i32::MIN),
            i64::from(i32::MAX),
            "an integer",
        )
        .and_then(|i| i32::try_from(i).ok())
    }

    /// `v` as a non-negative 32-bit integer (reported when it is not one).
    fn as_u32(&mut self, key: &str, v: &Value) -> Option<u32> {
        self.as_int(key, v, 0, i64::from(u32::MAX), "a non-negative integer")
            .and_then(|i| u32::try_from(i).ok())
    }

    /// A required number.
    pub(crate) fn req_f64(&mut self, key: &str) -> Option<f64> {
        let v = self.required(key, "a number")?;
        self.as_f64(key, v)
    }

    /// An optional (absent or null) number.
    pub(crate) fn opt_f64(&mut self, key: &str) -> Option<f64> {
        let v = self.raw(key)?;
        self.as_f64(key, v)
    }

    /// A required 32-bit integer.
    pub(crate) fn req_i32(&mut self, key: &str) -> Option<i32> {
        let v = self.required(key, "an integer")?;
        self.as_i32(key, v)
    }

    /// An optional 32-bit integer.
    pub(crate) fn opt_i32(&mut self, key: &str) -> Option<i32> {
        let v = self.raw(key)?;
        self.as_i32(key, v)
    }

    /// A required non-negative 32-bit integer.
    pub(crate) fn req_u32(&mut self, key: &str) -> Option<u32> {
        let v = self.required(key, "a non-negative integer")?;
        self.as_u32(key, v)
    }

    /// An optional non-negative 32-bit integer.
    pub(crate) fn opt_u32(&mut self, key: &str) -> Option<u32> {
        let v = self.raw(key)?;
        self.as_u32(key, v)
    }

    /// An optional non-negative 64-bit integer (seeds).
    pub(crate) fn opt_u64(&mut self, key: &str) -> Option<u64> {
        let v = self.raw(key)?;
        if let Some(u) = v.as_u64() {
            return Some(u);
        }
        self.as_int(key, v, 0, i64::MAX, "a non-negative integer")
            .and_then(|i| u64::try_from(i).ok())
    }

    /// A required boolean.
    pub(crate) fn req_bool(&mut self, key: &str) -> Option<bool> {
        let v = self.required(key, "a boolean")?;
        match v {
            Value::Bool(b) => Some(*b),
            _ => {
                self.mismatch(key, "a boolean", v);
                None
            }
        }
    }

    /// An optional boolean with a default.
    pub(crate) fn bool_or(&mut self, key: &str, default: bool) -> bool {
        match self.raw(key) {
            None => default,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                self.mismatch(key, "a boolean", v);
                default
            }
        }
    }

    /// A required string.
    pub(crate) fn req_str(&mut self, key: &str) -> Option<&'v str> {
        let v = self.required(key, "a string")?;
        match v {
            Value::String(s) => Some(s.as_str()),
            _ => {
                self.mismatch(key, "a string", v);
                None
            }
        }
    }

    /// An optional string.
    pub(crate) fn opt_str(&mut self, key: &str) -> Option<&'v str> {
        let v = self.raw(key)?;
        match v {
            Value::String(s) => Some(s.as_str()),
            _ => {
                self.mismatch(key, "a string", v);
                None
            }
        }
    }

    fn as_date(&mut self, key: &str, s: &str) -> Option<NaiveDate> {
        match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let ctx = self.ctx(key);
                self.sink.push(
                    Finding::error(
                        FindingKind::TypeMismatch,
                        Layer::Schema,
                        ctx,
                        format!("`{key}` = \"{s}\" is not a valid date"),
                    )
                    .suggest("write dates as YYYY-MM-DD"),
                );
                None
            }
        }
    }

    /// A required ISO date (`YYYY-MM-DD`).
    pub(crate) fn req_date(&mut self, key: &str) -> Option<NaiveDate> {
        let s = self.req_str(key)?;
        self.as_date(key, s)
    }

    fn check_enum(&mut self, key: &str, s: &str, allowed: &[&'static str]) -> Option<&'static str> {
        if let Some(a) = allowed.iter().find(|a| **a == s) {
            return Some(a);
        }
        let ctx = self.ctx(key);
        self.sink.push(
            Finding::error(
                FindingKind::InvalidEnum,
                Layer::Schema,
                ctx,
                format!("`{key}` = \"{s}\" is not one of: {}", allowed.join(", ")),
            )
            .suggest(did_you_mean(s, allowed)),
        );
        None
    }

    /// A required string from a closed set.
    pub(crate) fn req_enum(&mut self, key: &str, allowed: &[&'static str]) -> Option<&'static str> {
        let s = self.req_str(key)?;
        self.check_enum(key, s, allowed)
    }

    /// An optional string from a closed set.
    pub(crate) fn opt_enum(&mut self, key: &str, allowed: &[&'static str]) -> Option<&'static str> {
        let s = self.opt_str(key)?;
        self.check_enum(key, s, allowed)
    }

    /// A required array.
    pub(crate) fn req_array(&mut self, key: &str) -> Option<&'v [Value]> {
        let v = self.required(key, "an array")?;
        match v {
            Value::Array(a) => Some(a.as_slice()),
            _ => {
                self.mismatch(key, "an array", v);
                None
            }
        }
    }

    /// An optional array (absent or null = empty).
    pub(crate) fn opt_array(&mut self, key: &str) -> &'v [Value] {
        match self.raw(key) {
            None => &[],
            Some(Value::Array(a)) => a.as_slice(),
            Some(v) => {
                self.mismatch(key, "an array", v);
                &[]
            }
        }
    }

    /// A required nested object.
    pub(crate) fn req_obj<'a>(&'a mut self, key: &str, allowed: &[&str]) -> Option<Obj<'v, 'a>> {
        let v = self.required(key, "an object")?;
        let path = join(&self.path, key);
        Obj::make(self.sink, self.file, path, self.entity, v, allowed)
    }

    /// An optional nested object.
    pub(crate) fn opt_obj<'a>(&'a mut self, key: &str, allowed: &[&str]) -> Option<Obj<'v, 'a>> {
        let v = self.raw(key)?;
        let path = join(&self.path, key);
        Obj::make(self.sink, self.file, path, self.entity, v, allowed)
    }

    /// The `i`-th element of the array `key`, an entity of `kind` whose id is
    /// in its field `id_key`: the entity is set before the keys are checked,
    /// so every finding about the element names it.
    pub(crate) fn entity_item<'a>(
        &'a mut self,
        key: &str,
        i: usize,
        v: &'v Value,
        allowed: &[&str],
        kind: &'static str,
        id_key: &str,
    ) -> Option<Obj<'v, 'a>> {
        let path = format!("{}[{i}]", join(&self.path, key));
        let entity = v
            .get(id_key)
            .and_then(Value::as_i64)
            .map(|id| (kind, id))
            .or(self.entity);
        Obj::make(self.sink, self.file, path, entity, v, allowed)
    }

    /// A nested object at an explicit path (members of a keyed map).
    pub(crate) fn child_at<'a>(
        &'a mut self,
        sub: &str,
        v: &'v Value,
        allowed: &[&str],
    ) -> Option<Obj<'v, 'a>> {
        let path = join(&self.path, sub);
        Obj::make(self.sink, self.file, path, self.entity, v, allowed)
    }

    /// The `i`-th element of the array `key`, read as an object.
    pub(crate) fn item<'a>(
        &'a mut self,
        key: &str,
        i: usize,
        v: &'v Value,
        allowed: &[&str],
    ) -> Option<Obj<'v, 'a>> {
        let path = format!("{}[{i}]", join(&self.path, key));
        Obj::make(self.sink, self.file, path, self.entity, v, allowed)
    }

    /// The `i`-th element of the array `key`, read as a number.
    pub(crate) fn item_f64(&mut self, key: &str, i: usize, v: &Value) -> Option<f64> {
        let k = format!("{key}[{i}]");
        self.as_f64(&k, v)
    }

    /// The `i`-th element of the array `key`, read as an i32.
    pub(crate) fn item_i32(&mut self, key: &str, i: usize, v: &Value) -> Option<i32> {
        let k = format!("{key}[{i}]");
        self.as_i32(&k, v)
    }

    /// Reports `OutOfRange` unless `lo ≤ v` (or `lo < v` when `strict`).
    pub(crate) fn min(&mut self, key: &str, v: Option<f64>, lo: f64, strict: bool) -> Option<f64> {
        let x = v?;
        let ok = if strict { x > lo } else { x >= lo };
        if !ok {
            let op = if strict { ">" } else { "≥" };
            self.error(
                FindingKind::OutOfRange,
                key,
                format!("`{key}` = {x} must be {op} {lo}"),
            );
        }
        Some(x)
    }

    /// Reports `OutOfRange` unless `lo ≤ v ≤ hi`.
    pub(crate) fn within(&mut self, key: &str, v: Option<f64>, lo: f64, hi: f64) -> Option<f64> {
        let x = v?;
        if !(lo..=hi).contains(&x) {
            self.error(
                FindingKind::OutOfRange,
                key,
                format!("`{key}` = {x} must be within [{lo}, {hi}]"),
            );
        }
        Some(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::FindingKind;

    type Read = (
        Option<(Option<i32>, Option<&'static str>)>,
        Vec<crate::Finding>,
    );

    fn read(text: &str) -> Read {
        let mut sink = Sink::default();
        let v: Value = serde_json::from_str(text).unwrap();
        let out = Obj::root(&mut sink, "f.json", &v, &["id", "mode"]).map(|mut o| {
            let id = o.req_i32("id");
            let mode = o.opt_enum("mode", &["fast", "slow"]);
            (id, mode)
        });
        (out, sink.into_findings())
    }

    #[test]
    fn every_problem_of_an_object_is_reported_in_one_pass() {
        let (out, f) = read(r#"{"id": "x", "mode": "fsat", "extra": 1}"#);
        assert_eq!(out, Some((None, None)));
        let kinds: Vec<FindingKind> = f.iter().map(|x| x.kind).collect();
        assert!(kinds.contains(&FindingKind::SchemaViolation));
        assert!(kinds.contains(&FindingKind::TypeMismatch));
        assert!(kinds.contains(&FindingKind::InvalidEnum));
        let e = f
            .iter()
            .find(|x| x.kind == FindingKind::InvalidEnum)
            .unwrap();
        assert!(e.suggestion.as_deref().unwrap().contains("fast"));
    }

    #[test]
    fn an_integer_outside_i32_is_out_of_range() {
        let (out, f) = read(r#"{"id": 4000000000}"#);
        assert_eq!(out, Some((None, None)));
        assert_eq!(f[0].kind, FindingKind::OutOfRange);
    }

    #[test]
    fn a_missing_required_field_names_the_field() {
        let (_, f) = read("{}");
        assert_eq!(f[0].kind, FindingKind::SchemaViolation);
        assert_eq!(f[0].context.field.as_deref(), Some("id"));
    }

    #[test]
    fn a_syntax_error_carries_its_line() {
        let mut sink = Sink::default();
        assert!(parse("f.json", "{\n\"a\": ,\n}", &mut sink).is_none());
        let f = sink.into_findings();
        assert_eq!(f[0].kind, FindingKind::ParseError);
        assert_eq!(f[0].context.line, Some(2));
    }
}
