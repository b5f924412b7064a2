//! libuv's async handle, taken from the host process when it has one (Node and Electron export
//! libuv to addons; napi-sys itself links `uv_run`).
//!
//! Why not only N-API's threadsafe function: Node's `napi_call_threadsafe_function` writes to the
//! loop's eventfd while holding the function's mutex, and the JS thread it wakes takes that mutex
//! first thing. On two cores the woken thread got there first every time (`perf record -e
//! syscalls:sys_enter_futex`: one futex wait on the JS thread and one futex wake from the Tokio
//! thread per wake-up, at 1 and at 64 calls in flight), so every wake-up put the JS thread to
//! sleep once more and made the waking thread wake it a second time. `uv_async_send` is an atomic
//! flag and the eventfd write, with no lock.
//!
//! The functions are looked up at run time, so a host without them (Bun, Deno, Windows) simply
//! keeps the threadsafe function.

use std::ffi::{c_int, c_void};
use std::sync::OnceLock;

pub type AsyncCb = unsafe extern "C" fn(handle: *mut c_void);
pub type CloseCb = unsafe extern "C" fn(handle: *mut c_void);
type HandleSize = unsafe extern "C" fn(kind: c_int) -> usize;
type AsyncInit =
  unsafe extern "C" fn(event_loop: *mut c_void, handle: *mut c_void, cb: AsyncCb) -> c_int;
type AsyncSend = unsafe extern "C" fn(handle: *mut c_void) -> c_int;
type Close = unsafe extern "C" fn(handle: *mut c_void, cb: CloseCb);
type Unref = unsafe extern "C" fn(handle: *mut c_void);

/// The libuv functions the completion channel uses.
pub struct Uv {
  handle_size: HandleSize,
  async_init: AsyncInit,
  pub async_send: AsyncSend,
  pub close: Close,
  unref: Unref,
}

/// `UV_ASYNC` in libuv's `uv_handle_type` (stable since libuv 1.0).
const UV_ASYNC: c_int = 1;

/// The host's libuv, or `None` when the process does not export it, or when
/// `CHATBOTKIT_NEXTAUTH_NO_LIBUV` is set (to anything but `0` or nothing): the escape hatch for a
/// host whose libuv does not behave as Node's, and how the tests run the other path.
pub fn get() -> Option<&'static Uv> {
  static UV: OnceLock<Option<Uv>> = OnceLock::new();
  UV.get_or_init(|| {
    let refused =
      std::env::var_os("CHATBOTKIT_NEXTAUTH_NO_LIBUV").is_some_and(|v| !v.is_empty() && v != "0");
    if refused {
      None
    } else {
      lookup()
    }
  })
  .as_ref()
}

#[cfg(unix)]
fn lookup() -> Option<Uv> {
  /// A function of the process (the node binary, or a library it loaded), by name.
  fn symbol(name: &std::ffi::CStr) -> Option<*mut c_void> {
    // SAFETY: `name` is NUL-terminated; RTLD_DEFAULT searches the global scope.
    let found = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    (!found.is_null()).then_some(found)
  }
  // SAFETY: each symbol is the libuv function of that name, with the signature declared above
  // (libuv's ABI for these has not changed since 1.0).
  unsafe {
    Some(Uv {
      handle_size: std::mem::transmute::<*mut c_void, HandleSize>(symbol(c"uv_handle_size")?),
      async_init: std::mem::transmute::<*mut c_void, AsyncInit>(symbol(c"uv_async_init")?),
      async_send: std::mem::transmute::<*mut c_void, AsyncSend>(symbol(c"uv_async_send")?),
      close: std::mem::transmute::<*mut c_void, Close>(symbol(c"uv_close")?),
      unref: std::mem::transmute::<*mut c_void, Unref>(symbol(c"uv_unref")?),
    })
  }
}

#[cfg(not(unix))]
fn lookup() -> Option<Uv> {
  None
}

/// One `uv_async_t`: 8-aligned memory of the size the host's libuv says, owned by libuv from
/// `open` until the callback given to `close` has run.
#[derive(Clone, Copy)]
pub struct AsyncHandle {
  ptr: *mut c_void,
  words: usize,
}

// SAFETY: `uv_async_send` may be called from any thread; every other use is on the loop's thread.
unsafe impl Send for AsyncHandle {}
unsafe impl Sync for AsyncHandle {}

impl AsyncHandle {
  /// An async handle on `event_loop` that calls `cb` and does not keep the loop alive; its `data`
  /// is null until [`AsyncHandle::set_data`].
  ///
  /// # Safety
  /// On the thread of `event_loop`, a live libuv loop.
  pub unsafe fn open(uv: &Uv, event_loop: *mut c_void, cb: AsyncCb) -> Option<Self> {
    // SAFETY: a plain query.
    let size = unsafe { (uv.handle_size)(UV_ASYNC) };
    if size < std::mem::size_of::<*mut c_void>() {
      return None;
    }
    let words = size.div_ceil(8);
    let ptr = Box::into_raw(vec![0u64; words].into_boxed_slice()).cast::<c_void>();
    let handle = AsyncHandle { ptr, words };
    // SAFETY: the memory is large enough and stays put until `free`; on the loop's thread.
    unsafe {
      if (uv.async_init)(event_loop, ptr, cb) != 0 {
        handle.free();
        return None;
      }
      (uv.unref)(ptr);
    }
    Some(handle)
  }

  /// Stores `data` in the handle's `data` field (its first, in every libuv handle), where
  /// [`AsyncHandle::data`] finds it in a callback.
  ///
  /// # Safety
  /// On the loop's thread, the handle open.
  pub unsafe fn set_data(self, data: *mut c_void) {
    // SAFETY: `data` is the handle's first field, pointer-sized and aligned.
    unsafe { *self.ptr.cast::<*mut c_void>() = data }
  }

  pub fn ptr(self) -> *mut c_void {
    self.ptr
  }

  /// The `data` of a handle libuv passes to a callback.
  ///
  /// # Safety
  /// `handle` was made by [`AsyncHandle::open`] and not yet freed.
  pub unsafe fn data(handle: *mut c_void) -> *mut c_void {
    // SAFETY: `data` is the handle's first field, pointer-sized and aligned.
    unsafe { *handle.cast::<*mut c_void>() }
  }

  /// Gives the memory back.
  ///
  /// # Safety
  /// libuv is done with the handle: it was never initialised, or its close callback is running.
  pub unsafe fn free(self) {
    // SAFETY: the slice `open` leaked.
    drop(unsafe {
      Box::from_raw(std::ptr::slice_from_raw_parts_mut(
        self.ptr.cast::<u64>(),
        self.words,
      ))
    });
  }
}
