//! The classes JS sees (`binding.js`): each wraps the module that does the work.

mod adapter;
mod functions;
mod store;
