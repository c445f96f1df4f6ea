//! evloop: asyncio's event loop in Rust.
pub fn version() -> &'static str { env!("CARGO_PKG_VERSION") }
