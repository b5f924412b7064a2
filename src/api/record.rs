//! A ChatBotKit record read the way the adapters need it: the object's JSON text as the API sent
//! it, and where each member's value is in it, with no `serde_json::Value` tree. NextAuth's user is
//! that text with the fields the adapter sets appended: `JSON.parse` keeps the last of a repeated
//! key, as the lookups here do, so every API field reaches the user as the API wrote it, and no
//! tree is built and encoded again.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// A JSON object: its text, borrowed from an answer or owned, and its members.
pub struct Object<'a> {
  text: Cow<'a, str>,
  members: Vec<Member>,
}

/// A record the adapter keeps: an object that owns its text.
pub type Record = Object<'static>;

/// Why a text is not a JSON object.
#[derive(Debug, PartialEq, Eq)]
pub enum NotObject {
  /// Not JSON at all (or JSON followed by something else).
  NotJson,
  /// JSON, but not an object.
  Other,
}

struct Member {
  key: Key,
  /// The value's text: `text[value]`.
  value: Range<usize>,
}

/// A member's key: where it is in the text, or unescaped when the API escaped a character of it.
enum Key {
  At(Range<usize>),
  Unescaped(Box<str>),
}

impl<'a> Object<'a> {
  /// Reads an object's members (their values are checked to be JSON and skipped, not built).
  pub fn parse(text: impl Into<Cow<'a, str>>) -> Result<Self, NotObject> {
    let text = text.into();
    // Skipping a value does not check it the way reading it does (numbers out of range, nesting
    // deeper than serde_json allows): one pass that reads every value, building nothing, first.
    serde_json::from_str::<Valid>(&text).map_err(|_| NotObject::NotJson)?;
    let mut reader = serde_json::Deserializer::from_str(&text);
    let base = text.as_ptr() as usize;
    let members = reader
      .deserialize_map(MembersVisitor { base })
      .and_then(|members| reader.end().map(|()| members))
      .map_err(not_object)?;
    Ok(Self { text, members })
  }

  /// The same object owning its text.
  pub fn into_owned(self) -> Record {
    Object {
      text: Cow::Owned(self.text.into_owned()),
      members: self.members,
    }
  }

  /// The text of the last value under `key` (a repeated key reads as `JSON.parse` reads it).
  pub fn raw(&self, key: &str) -> Option<&str> {
    let member = self.members.iter().rev().find(|member| match &member.key {
      Key::At(range) => &self.text[range.clone()] == key,
      Key::Unescaped(unescaped) => &**unescaped == key,
    })?;
    Some(&self.text[member.value.clone()])
  }

  /// The string under `key`; `None` when it is missing or not a string.
  pub fn str(&self, key: &str) -> Option<Cow<'_, str>> {
    let raw = self.raw(key)?;
    // A value's text is valid JSON: a string token without a backslash is its content quoted.
    if let Some(plain) = raw
      .strip_prefix('"')
      .and_then(|rest| rest.strip_suffix('"'))
    {
      if !plain.contains('\\') {
        return Some(Cow::Borrowed(plain));
      }
    }
    serde_json::from_str::<Text>(raw)
      .ok()
      .map(|Text(text)| text)
  }

  /// The number under `key` as the API wrote it; `None` when it is missing or not a number.
  pub fn number(&self, key: &str) -> Option<&str> {
    self
      .raw(key)
      .filter(|raw| raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()))
  }

  /// The object under `key`; `None` when it is missing or not an object.
  pub fn object(&self, key: &str) -> Option<Object<'_>> {
    Object::parse(self.raw(key)?).ok()
  }

  /// The object under `key` as a `serde_json` map, for a request body that sends it back.
  pub fn map(&self, key: &str) -> Option<Map<String, Value>> {
    serde_json::from_str(self.raw(key)?).ok()
  }

  /// This object's JSON text with `extra` members (name, JSON text of the value) after its own.
  pub fn with_members(&self, extra: &[(&str, &str)]) -> String {
    let text = self.text.trim_end();
    // A parsed object's text ends with its closing brace.
    let open = text.strip_suffix('}').unwrap_or(text);
    let length = extra
      .iter()
      .map(|(k, v)| k.len() + v.len() + 4)
      .sum::<usize>();
    let mut out = String::with_capacity(open.len() + length + 1);
    out.push_str(open);
    let mut first = self.members.is_empty();
    for (key, value) in extra {
      if !first {
        out.push(',');
      }
      first = false;
      // The names are the adapter's own (`email`, `emailVerified`): nothing to escape.
      out.push('"');
      out.push_str(key);
      out.push_str("\":");
      out.push_str(value);
    }
    out.push('}');
    out
  }
}

/// What a parse error says the text is not.
fn not_object(err: serde_json::Error) -> NotObject {
  match err.classify() {
    serde_json::error::Category::Data => NotObject::Other,
    _ => NotObject::NotJson,
  }
}

struct MembersVisitor {
  /// Where the text starts, to turn the borrowed slices serde hands out into ranges.
  base: usize,
}

impl MembersVisitor {
  fn range(&self, slice: &str) -> Range<usize> {
    let start = slice.as_ptr() as usize - self.base;
    start..start + slice.len()
  }
}

impl<'de> Visitor<'de> for MembersVisitor {
  type Value = Vec<Member>;

  fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
    f.write_str("a JSON object")
  }

  fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Vec<Member>, M::Error> {
    let mut members = Vec::with_capacity(map.size_hint().unwrap_or(12));
    while let Some(Text(key)) = map.next_key()? {
      let value: &'de RawValue = map.next_value()?;
      let key = match key {
        // Borrowed from the text: no escape in it.
        Cow::Borrowed(key) => Key::At(self.range(key)),
        Cow::Owned(key) => Key::Unescaped(key.into_boxed_str()),
      };
      members.push(Member {
        key,
        value: self.range(value.get()),
      });
    }
    Ok(members)
  }
}

/// Any JSON value, read as `serde_json::Value` reads it (the same number rules and nesting limit)
/// and kept nowhere.
struct Valid;

impl<'de> serde::Deserialize<'de> for Valid {
  fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
    deserializer.deserialize_any(ValidVisitor)
  }
}

struct ValidVisitor;

impl<'de> Visitor<'de> for ValidVisitor {
  type Value = Valid;

  fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
    f.write_str("a JSON value")
  }
  fn visit_bool<E>(self, _: bool) -> Result<Valid, E> {
    Ok(Valid)
  }
  fn visit_i64<E>(self, _: i64) -> Result<Valid, E> {
    Ok(Valid)
  }
  fn visit_u64<E>(self, _: u64) -> Result<Valid, E> {
    Ok(Valid)
  }
  fn visit_f64<E>(self, _: f64) -> Result<Valid, E> {
    Ok(Valid)
  }
  fn visit_str<E>(self, _: &str) -> Result<Valid, E> {
    Ok(Valid)
  }
  fn visit_unit<E>(self) -> Result<Valid, E> {
    Ok(Valid)
  }
  fn visit_seq<S: serde::de::SeqAccess<'de>>(self, mut seq: S) -> Result<Valid, S::Error> {
    while seq.next_element::<Valid>()?.is_some() {}
    Ok(Valid)
  }
  fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Valid, M::Error> {
    while map.next_key::<Valid>()?.is_some() {
      map.next_value::<Valid>()?;
    }
    Ok(Valid)
  }
}

/// A JSON string, borrowed from the text unless it has escapes (serde's `Cow<str>` always copies).
struct Text<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Text<'de> {
  fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
    struct TextVisitor;
    impl<'de> Visitor<'de> for TextVisitor {
      type Value = Text<'de>;
      fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
      }
      fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(key)))
      }
      fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(key.to_owned())))
      }
    }
    deserializer.deserialize_str(TextVisitor)
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  /// What `JSON.parse` (and `serde_json::Value`, which also keeps the last of a repeated key)
  /// makes of a text.
  fn reference(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str::<Value>(text).ok()? {
      Value::Object(map) => Some(map),
      _ => None,
    }
  }

  #[test]
  fn members_read_as_the_reference_reads_them() {
    for text in [
      r#"{"id":"usr_1","email":"a@b.c","name":null}"#,
      r#"{"id":"usr_1","id":"usr_2"}"#,
      r#"{"e\u006dail":"escaped@key.com","email":"plain@key.com"}"#,
      r#"{"email":"plain@key.com","e\u006dail":"escaped@key.com"}"#,
      r#"{"meta":{"email":"m@x.y","n":[1,2,{"k":"v"}]},"count":-1.5e3}"#,
      r#"{"name":"Ann \"Q\" \ud83d\ude00","empty":""}"#,
      "{}",
      " {\n\"a\" : 1 } ",
    ] {
      let object = Object::parse(text).expect(text);
      let map = reference(text).expect(text);
      for (key, value) in &map {
        let raw = object.raw(key).expect(key);
        let read: Value = serde_json::from_str(raw).expect(raw);
        assert_eq!(&read, value, "{text}: {key}");
        if let Value::String(expected) = value {
          assert_eq!(
            object.str(key).as_deref(),
            Some(expected.as_str()),
            "{text}"
          );
        }
      }
      assert_eq!(object.raw("missing"), None);
    }
  }

  #[test]
  fn what_is_not_an_object_is_told_apart() {
    // `""}` was read as "not an object" before the whole text was checked (found by the
    // properties in properties.rs).
    for text in [
      "",
      "{",
      r#"{"a":}"#,
      r#"{"a":1} x"#,
      "nul",
      r#"{"a":1,}"#,
      r#"""}"#,
      "[1]]",
    ] {
      assert_eq!(
        Object::parse(text).err(),
        Some(NotObject::NotJson),
        "{text:?}"
      );
    }
    for text in ["[]", "null", "1", r#""{}""#, "true"] {
      assert_eq!(
        Object::parse(text).err(),
        Some(NotObject::Other),
        "{text:?}"
      );
    }
  }

  /// Found by the properties in properties.rs: a value that skipping accepts but reading does not
  /// (a number out of f64's range, nesting past serde_json's limit) made a user of an answer
  /// `serde_json::Value` refuses.
  #[test]
  fn values_are_checked_as_reading_them_would() {
    for text in [
      r#"{"email":"a@b.c","n":1e310}"#,
      r#"{"email":{"email":-1e400}}"#,
      r#"{"email":"a@b.c","k\ud800":1}"#,
    ] {
      assert_eq!(
        Object::parse(text).err(),
        Some(NotObject::NotJson),
        "{text}"
      );
      assert!(reference(text).is_none(), "{text}");
    }
    let deep = |depth: usize| {
      format!(
        r#"{{"email":"a@b.c","deep":{}1{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
      )
    };
    assert_eq!(Object::parse(deep(127)).err(), Some(NotObject::NotJson));
    assert!(reference(&deep(127)).is_none());
    assert!(Object::parse(deep(126)).is_ok());
    assert!(reference(&deep(126)).is_some());
  }

  #[test]
  fn appended_members_win_as_in_json_parse() {
    let object = Object::parse(r#"{"id":"usr_1","email":"old@x.y","emailVerified":"2020"}"#)
      .expect("an object");
    let user = object.with_members(&[("email", r#""new@x.y""#), ("emailVerified", "null")]);
    let map = reference(&user).expect("JSON");
    assert_eq!(map["id"], "usr_1");
    assert_eq!(map["email"], "new@x.y");
    assert_eq!(map["emailVerified"], Value::Null);
    let empty = Object::parse("{ }")
      .expect("an object")
      .with_members(&[("a", "1")]);
    assert_eq!(reference(&empty).expect("JSON")["a"], 1);
  }

  #[test]
  fn numbers_and_nested_objects() {
    let object = Object::parse(r#"{"n":12,"s":"12","o":{"k":"v"},"a":[1]}"#).expect("an object");
    assert_eq!(object.number("n"), Some("12"));
    assert_eq!(object.number("s"), None);
    assert_eq!(
      object
        .object("o")
        .and_then(|o| o.str("k").map(Cow::into_owned)),
      Some("v".into())
    );
    assert!(object.object("a").is_none());
    assert_eq!(object.map("o").map(|m| m.len()), Some(1));
  }
}
