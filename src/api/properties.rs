//! Property tests of what the adapters read from the API: the record reader (`Object`) and the
//! users built from its text, compared case by case with a plain `serde_json::Value` reading of
//! the same answer. Arbitrary bytes, and generated JSON with repeated and escaped keys, deep
//! nesting, huge numbers and roots that are not objects.
//!
//! `cargo test --lib properties` runs a short round (256 cases a target); `npm run fuzz` the long
//! one (`PROPTEST_CASES`, a million by default).

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::record::{NotObject, Object};
use super::resource::{CONTACTS, PARTNER_USERS};
use crate::error::{Code, ErrorCode};

/// The answer as `serde_json::Value` reads it: an object, or why not.
fn reference(text: &str) -> Result<Map<String, Value>, NotObject> {
  match serde_json::from_str::<Value>(text) {
    Ok(Value::Object(map)) => Ok(map),
    Ok(_) => Err(NotObject::Other),
    Err(_) => Err(NotObject::NotJson),
  }
}

/// The partner user the reference makes of a record: the record's members, `emailVerified` its
/// `createdAt` when that is a number (else `null`); no user without a non-empty email string.
fn reference_partner(map: &Map<String, Value>) -> Option<Value> {
  match map.get("email") {
    Some(Value::String(email)) if !email.is_empty() => {}
    _ => return None,
  }
  let mut user = map.clone();
  let verified = match map.get("createdAt") {
    Some(number @ Value::Number(_)) => number.clone(),
    _ => Value::Null,
  };
  user.insert("emailVerified".into(), verified);
  Some(Value::Object(user))
}

/// The contact user: its `meta.email`, else its `email`, else `<fingerprint>@contact.local`, and
/// `emailVerified` its `verifiedAt` when that is a number.
fn reference_contact(map: &Map<String, Value>) -> Option<Value> {
  let text = |value: Option<&Value>| match value {
    Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
    _ => None,
  };
  let meta_email = match map.get("meta") {
    Some(Value::Object(meta)) => text(meta.get("email")),
    _ => None,
  };
  let email = meta_email
    .or_else(|| text(map.get("email")))
    .or_else(|| text(map.get("fingerprint")).map(|f| format!("{f}@contact.local")))?;
  let mut user = map.clone();
  user.insert("email".into(), Value::String(email));
  let verified = match map.get("verifiedAt") {
    Some(number @ Value::Number(_)) => number.clone(),
    _ => Value::Null,
  };
  user.insert("emailVerified".into(), verified);
  Some(Value::Object(user))
}

/// Checks one answer against the reference: the same members, the same user or the same refusal.
fn check(text: &str) -> Result<(), TestCaseError> {
  let parsed = Object::parse(text);
  let expected = reference(text);
  match (&parsed, &expected) {
    (Err(got), Err(want)) => {
      prop_assert_eq!(got, want, "{:?}", text);
      return Ok(());
    }
    (Ok(_), Ok(_)) => {}
    _ => prop_assert!(
      false,
      "reader {:?} but reference {:?} for {:?}",
      parsed.is_ok(),
      expected.is_ok(),
      text
    ),
  }
  let (Ok(object), Ok(map)) = (parsed, expected) else {
    return Ok(());
  };
  for (key, value) in &map {
    let raw = object.raw(key);
    prop_assert!(raw.is_some(), "{:?} missing in {:?}", key, text);
    let read: Value = serde_json::from_str(raw.unwrap_or_default())
      .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&read, value, "{:?} in {:?}", key, text);
    if let Value::String(want) = value {
      let got = object.str(key);
      prop_assert_eq!(got.as_deref(), Some(want.as_str()));
    }
  }
  let record = object.into_owned();
  for (to_user, reference_user) in [
    (
      PARTNER_USERS.to_user,
      reference_partner as fn(&Map<String, Value>) -> Option<Value>,
    ),
    (CONTACTS.to_user, reference_contact),
  ] {
    match (to_user(&record), reference_user(&map)) {
      (Ok(user), Some(want)) => {
        let got: Value =
          serde_json::from_str(&user).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(got, want, "user of {:?}", text);
      }
      (Err(err), None) => prop_assert_eq!(err.code, Code::Ours(ErrorCode::InvalidResponse)),
      (got, want) => prop_assert!(
        false,
        "user {:?} but reference {:?} for {:?}",
        got.is_ok(),
        want.is_some(),
        text
      ),
    }
  }
  Ok(())
}

/// A JSON string token for `text`, each character escaped (`\uXXXX`) or not as `escapes` says.
fn string_token(text: &str, escapes: &[bool]) -> String {
  let mut out = String::from("\"");
  for (i, c) in text.chars().enumerate() {
    let escape = escapes
      .get(i % escapes.len().max(1))
      .copied()
      .unwrap_or(false);
    match c {
      '"' => out.push_str("\\\""),
      '\\' => out.push_str("\\\\"),
      c if (c as u32) < 0x20 || escape => {
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
          out.push_str(&format!("\\u{unit:04x}"));
        }
      }
      c => out.push(c),
    }
  }
  out.push('"');
  out
}

/// A JSON value's text: scalars of every kind (numbers past f64's range too), and arrays and
/// objects nested up to `depth`.
fn json_text(depth: u32) -> BoxedStrategy<String> {
  let key =
    "(email|fingerprint|createdAt|verifiedAt|meta|id|__proto__|constructor|[a-zé😀\u{0}]{0,4})";
  let number = prop_oneof![
    any::<i64>().prop_map(|n| n.to_string()),
    any::<f64>()
      .prop_filter("finite", |f| f.is_finite())
      .prop_map(|f| f.to_string()),
    "-?[1-9][0-9]{0,3}(\\.[0-9]{1,3})?[eE][+-]?[0-9]{1,4}",
    "-?[0-9]{16,40}",
  ];
  let scalar = prop_oneof![
    Just("null".to_owned()),
    any::<bool>().prop_map(|b| b.to_string()),
    number,
    (any::<String>(), prop::collection::vec(any::<bool>(), 1..4))
      .prop_map(|(s, e)| string_token(&s, &e)),
    (key, prop::collection::vec(any::<bool>(), 1..4)).prop_map(|(s, e)| string_token(&s, &e)),
  ];
  scalar
    .prop_recursive(depth, 64, 6, move |inner| {
      prop_oneof![
        prop::collection::vec(inner.clone(), 0..5)
          .prop_map(|items| format!("[{}]", items.join(","))),
        prop::collection::vec(
          (
            (key, prop::collection::vec(any::<bool>(), 1..4))
              .prop_map(|(k, e)| string_token(&k, &e)),
            inner
          ),
          0..6
        )
        .prop_map(|members| {
          let members: Vec<String> = members
            .into_iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
          format!("{{{}}}", members.join(","))
        }),
      ]
    })
    .boxed()
}

/// A record-shaped answer: an object whose members include the ones the adapters read, repeated
/// and escaped at random, and whitespace around it.
fn record_text() -> impl Strategy<Value = String> {
  let key = "(email|fingerprint|createdAt|verifiedAt|meta|id|name)";
  (
    prop::collection::vec(
      (
        (key, prop::collection::vec(any::<bool>(), 1..3)),
        json_text(3),
      ),
      0..8,
    ),
    "[ \t\n]{0,2}",
    "[ \t\n]{0,2}",
  )
    .prop_map(|(members, before, after)| {
      let members: Vec<String> = members
        .into_iter()
        .map(|((k, escapes), v)| format!("{}:{v}", string_token(&k, &escapes)))
        .collect();
      format!("{before}{{{}}}{after}", members.join(","))
    })
}

/// Runs `check` on `cases` generated by `strategy` (`PROPTEST_CASES`, 256 by default) and says how
/// many ran; a difference or a panic fails the test with the smallest case proptest finds, and its
/// seed is kept in `proptest-regressions/`.
fn run<S: Strategy>(
  name: &str,
  strategy: S,
  check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
  let config = ProptestConfig {
    source_file: Some(file!()),
    ..ProptestConfig::default()
  };
  let cases = config.cases;
  let mut runner = proptest::test_runner::TestRunner::new(config);
  if let Err(failure) = runner.run(&strategy, check) {
    panic!("{name}: {failure}");
  }
  eprintln!("{name}: {cases} cases, 0 differences, 0 crashes");
}

#[test]
fn properties_arbitrary_bytes() {
  // The reader takes text: bytes that are not UTF-8 never reach it (the client refuses them).
  run(
    "arbitrary bytes",
    prop::collection::vec(any::<u8>(), 0..256),
    |bytes| match std::str::from_utf8(&bytes) {
      Ok(text) => check(text),
      Err(_) => Ok(()),
    },
  );
}

#[test]
fn properties_arbitrary_text() {
  run(
    "arbitrary text",
    "\\PC{0,64}|[{}\\[\\]\":,0-9a-z \\\\]{0,64}",
    |text| check(&text),
  );
}

#[test]
fn properties_generated_json() {
  run("generated JSON", json_text(6), |text| check(&text));
}

#[test]
fn properties_generated_records() {
  run("generated records", record_text(), |text| check(&text));
}

#[test]
fn properties_deep_nesting() {
  let strategy = (100usize..160, prop::sample::select(vec!["[", "{\"a\":"]));
  run("deep nesting", strategy, |(depth, open)| {
    let close = if open == "[" { "]" } else { "}" };
    let text = format!(
      "{{\"email\":\"a@b.c\",\"deep\":{}1{}}}",
      open.repeat(depth),
      close.repeat(depth)
    );
    check(&text)
  });
}
