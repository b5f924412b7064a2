//! The adapter's hot methods as plain N-API functions bound to their adapter: the two token
//! methods (a sign-in makes two token calls, and over a MemoryStore they do little work, so the
//! crossing is most of what they cost), the user lookups by id and email, and `deleteUser`. They
//! read their string arguments straight from the call — into a buffer on the stack, not the heap —
//! and skip the class check and borrow bookkeeping napi-rs does for every method call.
//! The token functions answer what `error::answer` makes of the token rules' work; the user
//! functions always answer a Promise (their first step waits on the network).

use std::ffi::c_void;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::AssertUnwindSafe;
use std::ptr;
use std::sync::Arc;

use napi::bindgen_prelude::{Either, JsObjectValue, Object, PromiseRaw, ToNapiValue};
use napi::{sys, Env, JsError, Status};

use crate::adapter::Adapter;
use crate::error::{answer, code, Answer, Error};
use crate::{spawn_call, tokens};

/// `{ getUser, getUserByEmail, deleteUser, createVerificationToken, useVerificationToken }` for
/// `adapter`. Each function holds the adapter until it is garbage-collected.
pub fn functions(env: &Env, adapter: &Arc<Adapter>) -> napi::Result<Object<'static>> {
  let mut object = Object::new(env)?;
  for (name, callback) in [
    ("getUser", get_user as Callback),
    ("getUserByEmail", get_user_by_email as Callback),
    ("deleteUser", delete_user as Callback),
    ("createVerificationToken", create as Callback),
    ("useVerificationToken", consume as Callback),
  ] {
    let function = bound(env, name, callback, adapter)?;
    object.set_named_property(name, function)?;
  }
  Ok(object)
}

type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

/// `(id)` → a Promise of the user as JSON text, or `null`.
unsafe extern "C" fn get_user(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> sys::napi_value {
  // SAFETY: called by N-API on the JS thread with this call's `info`.
  unsafe {
    spawn_on_string(env, info, "id", |adapter, id| async move {
      adapter.get_user(id).await
    })
  }
}

/// `(email)` → a Promise of the user as JSON text, or `null`.
unsafe extern "C" fn get_user_by_email(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> sys::napi_value {
  // SAFETY: called by N-API on the JS thread with this call's `info`.
  unsafe {
    spawn_on_string(env, info, "email", |adapter, email| async move {
      adapter.get_user_by_email(email).await
    })
  }
}

/// `(id)` → a Promise, settled once the user is deleted.
unsafe extern "C" fn delete_user(
  env: sys::napi_env,
  info: sys::napi_callback_info,
) -> sys::napi_value {
  // SAFETY: called by N-API on the JS thread with this call's `info`.
  unsafe {
    spawn_on_string(env, info, "id", |adapter, id| async move {
      adapter.delete_user(id).await
    })
  }
}

/// One call of a bound function whose one argument is a string (`name` in the error when it is
/// not) and whose work waits on the network: the work is spawned, and the call answers a Promise.
///
/// # Safety
/// As for [`call`].
unsafe fn spawn_on_string<T, Work>(
  env: sys::napi_env,
  info: sys::napi_callback_info,
  name: &'static str,
  work: impl FnOnce(Arc<Adapter>, String) -> Work + Send + 'static,
) -> sys::napi_value
where
  T: ToNapiValue + Send + 'static,
  Work: Future<Output = Result<T, Error>> + Send + 'static,
{
  // SAFETY: as the caller promises.
  unsafe {
    call::<1>(env, info, |env, adapter, [value]| {
      let value = owned_text(env, value, name)?;
      let adapter = Arc::clone(adapter);
      let promise = spawn_call(env, move || work(adapter, value))?;
      // SAFETY (the block around `call`): on the JS thread, with its env.
      PromiseRaw::to_napi_value(env.raw(), promise)
    })
  }
}

/// `(identifier, token, expires)` → `expires` (epoch ms) once stored.
unsafe extern "C" fn create(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  // SAFETY: called by N-API on the JS thread with this call's `info`.
  unsafe {
    call::<3>(env, info, |env, adapter, [identifier, token, expires]| {
      let mut buffers = Buffers::default();
      let (identifier, token) = buffers.read(env, identifier, token)?;
      let expires = number(env, expires);
      convert(
        env,
        answer(env, adapter.tokens.create(identifier, token, expires)),
      )
    })
  }
}

/// `(identifier, token)` → the code's `expires` when accepted, else `null`.
unsafe extern "C" fn consume(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  // SAFETY: called by N-API on the JS thread with this call's `info`.
  unsafe {
    call::<2>(env, info, |env, adapter, [identifier, token]| {
      let mut buffers = Buffers::default();
      let (identifier, token) = buffers.read(env, identifier, token)?;
      convert(env, answer(env, adapter.tokens.consume(identifier, token)))
    })
  }
}

/// Runs one call of a bound function: its adapter and first `N` arguments (missing ones are
/// `undefined`) go to `body`. An error is thrown with its `code`; a panic is thrown as `INTERNAL`
/// and never unwinds into N-API.
///
/// # Safety
/// `env` and `info` are those N-API passed to the callback, on the JS thread.
unsafe fn call<const N: usize>(
  env: sys::napi_env,
  info: sys::napi_callback_info,
  body: impl FnOnce(&Env, &Arc<Adapter>, [sys::napi_value; N]) -> napi::Result<sys::napi_value>,
) -> sys::napi_value {
  let env = Env::from_raw(env);
  let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
    let mut argc = N;
    let mut argv = [ptr::null_mut(); N];
    let mut data = ptr::null_mut();
    // SAFETY: `argv` has room for `argc` values; N-API fills the ones not passed with `undefined`.
    let status = unsafe {
      sys::napi_get_cb_info(
        env.raw(),
        info,
        &mut argc,
        argv.as_mut_ptr(),
        ptr::null_mut(),
        &mut data,
      )
    };
    if status != sys::Status::napi_ok || data.is_null() {
      return Err(napi::Error::from_status(Status::from(status)));
    }
    // SAFETY: `data` is the adapter reference `bound` gave this function, alive while it is;
    // borrowed here, never dropped (`ManuallyDrop`): the function keeps its reference.
    let adapter = ManuallyDrop::new(unsafe { Arc::from_raw(data as *const Adapter) });
    body(&env, &adapter, argv)
  }));
  let failed = match outcome {
    Ok(Ok(value)) => return value,
    Ok(Err(err)) => err,
    Err(_) => Error::new(
      code::INTERNAL,
      "@chatbotkit/nextauth: internal error; the call was rejected",
    )
    .throw(&env),
  };
  if failed.status != Status::PendingException {
    // SAFETY: on the JS thread, with its env.
    unsafe { JsError::from(failed).throw_into(env.raw()) };
  }
  ptr::null_mut()
}

/// A function named `name` that runs `callback` with a reference to `adapter`, given back when
/// the function is garbage-collected.
fn bound(
  env: &Env,
  name: &str,
  callback: Callback,
  adapter: &Arc<Adapter>,
) -> napi::Result<sys::napi_value> {
  let data = Arc::into_raw(adapter.clone()) as *mut c_void;
  let mut function = ptr::null_mut();
  // SAFETY: on the JS thread, with its env; `name` outlives the call.
  let mut status = unsafe {
    sys::napi_create_function(
      env.raw(),
      name.as_ptr().cast(),
      name.len() as isize,
      Some(callback),
      data,
      &mut function,
    )
  };
  if status == sys::Status::napi_ok {
    // SAFETY: a new function, wrapped once; `release` runs when it is collected.
    status = unsafe {
      sys::napi_wrap(
        env.raw(),
        function,
        data,
        Some(release),
        ptr::null_mut(),
        ptr::null_mut(),
      )
    };
  }
  if status != sys::Status::napi_ok {
    // SAFETY: the reference made above was not handed to N-API.
    drop(unsafe { Arc::from_raw(data as *const Adapter) });
    return Err(napi::Error::from_status(Status::from(status)));
  }
  Ok(function)
}

unsafe extern "C" fn release(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
  if !data.is_null() {
    // SAFETY: `data` is the reference `bound` handed to N-API, given back once. A panic while
    // dropping must not unwind into N-API.
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
      drop(unsafe { Arc::from_raw(data as *const Adapter) })
    }));
  }
}

/// Room on the stack for the two string arguments of a token call; a longer string (rare: an
/// email address is at most 254 bytes) goes to the heap.
struct Buffers {
  identifier: [u8; 256],
  token: [u8; 256],
  long_identifier: String,
  long_token: String,
}

impl Default for Buffers {
  fn default() -> Self {
    Self {
      identifier: [0; 256],
      token: [0; 256],
      long_identifier: String::new(),
      long_token: String::new(),
    }
  }
}

impl Buffers {
  fn read(
    &mut self,
    env: &Env,
    identifier: sys::napi_value,
    token: sys::napi_value,
  ) -> napi::Result<(&str, &str)> {
    let read = |buffer, long, value, name| {
      text(env, value, buffer, long).ok_or_else(|| tokens::not_a_string(name).throw(env))
    };
    let identifier = read(
      &mut self.identifier,
      &mut self.long_identifier,
      identifier,
      "identifier",
    )?;
    let token = read(&mut self.token, &mut self.long_token, token, "token")?;
    Ok((identifier, token))
  }
}

/// A JS string's UTF-8 text, or `None` when `value` is not a string.
fn text<'b>(
  env: &Env,
  value: sys::napi_value,
  buffer: &'b mut [u8; 256],
  long: &'b mut String,
) -> Option<&'b str> {
  let mut copied = 0;
  // SAFETY: `buffer` has room for `buffer.len()` bytes, the terminating NUL included.
  let status = unsafe {
    sys::napi_get_value_string_utf8(
      env.raw(),
      value,
      buffer.as_mut_ptr().cast(),
      buffer.len(),
      &mut copied,
    )
  };
  if status != sys::Status::napi_ok {
    return None;
  }
  // N-API copies whole characters only (at most 4 bytes each) into `len - 1` bytes: fewer than
  // `len - 4` copied means the whole string was.
  if copied + 4 < buffer.len() {
    return utf8(&buffer[..copied]);
  }
  let mut length = 0;
  // SAFETY: with no buffer, N-API answers the length only.
  let status =
    unsafe { sys::napi_get_value_string_utf8(env.raw(), value, ptr::null_mut(), 0, &mut length) };
  if status != sys::Status::napi_ok {
    return None;
  }
  let mut bytes = vec![0u8; length + 1];
  // SAFETY: `bytes` has room for the string and its NUL.
  let status = unsafe {
    sys::napi_get_value_string_utf8(
      env.raw(),
      value,
      bytes.as_mut_ptr().cast(),
      bytes.len(),
      &mut copied,
    )
  };
  if status != sys::Status::napi_ok {
    return None;
  }
  bytes.truncate(copied);
  *long = String::from_utf8(bytes).ok()?;
  Some(long.as_str())
}

/// A string argument as an owned `String` (it goes with the call's work to a runtime thread);
/// anything else throws "`name` must be a string".
fn owned_text(env: &Env, value: sys::napi_value, name: &str) -> napi::Result<String> {
  let mut buffer = [0; 256];
  let mut long = String::new();
  match text(env, value, &mut buffer, &mut long) {
    Some(text) => Ok(text.to_owned()),
    None => Err(Error::invalid_argument(format!("`{name}` must be a string")).throw(env)),
  }
}

/// `bytes` as text: an ASCII check is all most identifiers and codes need.
fn utf8(bytes: &[u8]) -> Option<&str> {
  if bytes.is_ascii() {
    // SAFETY: ASCII is UTF-8.
    return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
  }
  std::str::from_utf8(bytes).ok()
}

/// A number argument, else `None` (the token rules say what is wrong with it).
fn number(env: &Env, value: sys::napi_value) -> Option<f64> {
  let mut number = 0.0;
  // SAFETY: on the JS thread; N-API refuses a value that is not a number.
  let status = unsafe { sys::napi_get_value_double(env.raw(), value, &mut number) };
  (status == sys::Status::napi_ok).then_some(number)
}

fn convert<T: ToNapiValue>(env: &Env, answer: Answer<'_, T>) -> napi::Result<sys::napi_value> {
  let value: Either<T, PromiseRaw<'_, T>> = answer?;
  // SAFETY: on the JS thread, with its env.
  unsafe { Either::to_napi_value(env.raw(), value) }
}
