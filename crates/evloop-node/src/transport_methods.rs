//! The methods a connection's and a datagram endpoint's native transports
//! share (`NativeTransport`, `NativeDatagramTransport`): closing, extra info
//! and the write buffer, written once. The core's `Transport` and
//! `DatagramTransport` have these methods with the same signatures, and
//! napi-rs exports only what stands in an `#[napi] impl` of each class, so a
//! macro writes that block for each (the package's `TransportBase` is the
//! one class over both on the JS side).

/// `#[napi] impl $class { close, abort, isClosing, getExtraInfo,
/// setWriteBufferLimits, getWriteBufferLimits, getWriteBufferSize }` for a
/// struct with the core transport in `t` and the loop's `Ctx` in `ctx`
/// (woken after calls that schedule work, so the driver re-arms).
macro_rules! shared_transport_methods {
    ($class:ident) => {
        #[napi_derive::napi]
        impl $class {
            /// Flushes what is buffered, then closes.
            #[napi(catch_unwind)]
            pub fn close(&self) {
                self.t.close();
                self.ctx.wake();
            }

            /// Closes now, dropping what is buffered.
            #[napi(catch_unwind)]
            pub fn abort(&self) {
                self.t.abort();
                self.ctx.wake();
            }

            #[napi(catch_unwind)]
            pub fn is_closing(&self) -> bool {
                self.t.is_closing()
            }

            /// `"peername"`/`"sockname"` (an address, or null), `"socket"` (a
            /// NativeTransportSocket); `undefined` for other names.
            #[napi(catch_unwind, ts_return_type = "unknown")]
            pub fn get_extra_info(&self, env: napi::bindgen_prelude::Env, name: String) -> napi::bindgen_prelude::Unknown<'static> {
                let raw = env.raw();
                $crate::convert::unknown(raw, $crate::transport::extra_info_value(raw, &name, self.t.get_extra_info(&name)))
            }

            /// `setWriteBufferLimits(high?, low?)` (integers, checked by the package).
            #[napi(catch_unwind)]
            pub fn set_write_buffer_limits(&self, high: Option<f64>, low: Option<f64>) -> napi::Result<(), $crate::errors::ErrCode> {
                self.t
                    .set_write_buffer_limits(high.map(|h| h as i64), low.map(|l| l as i64))
                    .map_err($crate::convert::throw)?;
                self.ctx.wake();
                Ok(())
            }

            /// `[low, high]`.
            #[napi(catch_unwind)]
            pub fn get_write_buffer_limits(&self) -> Vec<f64> {
                let (low, high) = self.t.get_write_buffer_limits();
                vec![low as f64, high as f64]
            }

            #[napi(catch_unwind)]
            pub fn get_write_buffer_size(&self) -> f64 {
                self.t.get_write_buffer_size() as f64
            }
        }
    };
}

pub(crate) use shared_transport_methods;
