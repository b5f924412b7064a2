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
