#![deny(clippy::all)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The addon's modules, its allocator and its start-up. The classes JS sees are in `binding/`.

mod adapter;
mod answer;
mod api;
mod binding;
mod channel;
mod error;
mod options;
mod runtime;
mod settle;
mod store;
mod tokens;
mod user;
mod wake;

/// The addon's Rust allocations go to mimalloc; Node's own stay with its allocator. A Redis
/// command allocates a block inside redis-rs larger than glibc's per-thread cache keeps, and glibc
/// served each such block by consolidating its free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use napi_derive::napi;

use crate::error::ErrorCode;

#[napi_derive::module_init]
fn init() {
  #[cfg(windows)]
  pin_module();
  // A panic becomes a rejected Promise; its message may quote data, so stderr gets only where.
  // (Unit tests keep the default hook: their failures must say what failed.)
  #[cfg(not(test))]
  std::panic::set_hook(Box::new(|info| {
    let place = info
      .location()
      .map(|l| format!("{}:{}", l.file(), l.line()))
      .unwrap_or_default();
    eprintln!("@chatbotkit/nextauth: internal error at {place}; the call was rejected");
  }));
}

/// Keeps this DLL loaded until the process ends. Node.js unloads an addon when the last worker
/// thread that loaded it ends, but the runtime thread it started outlives that worker and would
/// go on running code that is no longer mapped. With glibc the library is linked `-z nodelete`
/// (napi-build), musl never unloads, nor does macOS a library with thread-local storage; Windows
/// needs this.
#[cfg(windows)]
fn pin_module() {
  #[link(name = "kernel32")]
  extern "system" {
    fn GetModuleHandleExW(flags: u32, name: *const u16, module: *mut *mut std::ffi::c_void) -> i32;
  }
  const GET_MODULE_HANDLE_EX_FLAG_PIN: u32 = 0x1;
  const GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS: u32 = 0x4;
  let mut module = std::ptr::null_mut();
  // SAFETY: FROM_ADDRESS reads `name` only as an address in this module; `module` is writable.
  unsafe {
    GetModuleHandleExW(
      GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
      pin_module as *const u16,
      &mut module,
    )
  };
}

/// Every stable error code (`err.code`), as the glue's frozen `ErrorCode` object lists them.
#[napi(catch_unwind)]
pub fn error_codes() -> Vec<&'static str> {
  ErrorCode::ALL.iter().map(|code| code.as_str()).collect()
}
