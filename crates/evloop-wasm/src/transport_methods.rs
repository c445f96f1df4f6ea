//! The methods a connection's and a datagram endpoint's native transports
//! share in a simulation (`NativeTransport`, `NativeDatagramTransport`):
//! closing, extra info and the write buffer, written once. The core's
//! `Transport` and `DatagramTransport` have these methods with the same
//! signatures, and wasm-bindgen exports only what stands in a
//! `#[wasm_bindgen] impl` of each class, so a macro writes that block for
//! each (the package's `TransportBase` is the one class over both on the JS
//! side; the napi addon has the same macro, `evloop-node/src/transport_methods.rs`).

/// `#[wasm_bindgen] impl $class { close, abort, isClosing, getExtraInfo,
/// setWriteBufferLimits, getWriteBufferLimits, getWriteBufferSize }` for a
/// struct with the core transport in `t`, exported as `$js_class`.
macro_rules! shared_transport_methods {
    ($class:ident, $js_class:ident) => {
        #[wasm_bindgen::prelude::wasm_bindgen(js_class = $js_class)]
        impl $class {
            /// Flushes what is buffered, then closes.
            pub fn close(&self) {
                self.t.close();
            }

            /// Closes now, dropping what is buffered.
            pub fn abort(&self) {
                self.t.abort();
            }

            #[wasm_bindgen(js_name = isClosing)]
            pub fn is_closing(&self) -> bool {
                self.t.is_closing()
            }

            /// `"peername"`/`"sockname"` (an address, or null), `"socket"` (a
            /// NativeTransportSocket); `undefined` for other names.
            #[wasm_bindgen(js_name = getExtraInfo)]
            pub fn get_extra_info(&self, name: &str) -> wasm_bindgen::JsValue {
                $crate::transport::extra_info_value(name, self.t.get_extra_info(name))
            }

            /// `setWriteBufferLimits(high?, low?)` (integers, checked by the package).
            #[wasm_bindgen(js_name = setWriteBufferLimits)]
            pub fn set_write_buffer_limits(&self, high: Option<f64>, low: Option<f64>) -> Result<(), wasm_bindgen::JsValue> {
                self.t
                    .set_write_buffer_limits(high.map(|h| h as i64), low.map(|l| l as i64))
                    .map_err($crate::convert::throw)
            }

            /// `[low, high]`.
            #[wasm_bindgen(js_name = getWriteBufferLimits)]
            pub fn get_write_buffer_limits(&self) -> Vec<f64> {
                let (low, high) = self.t.get_write_buffer_limits();
                vec![low as f64, high as f64]
            }

            #[wasm_bindgen(js_name = getWriteBufferSize)]
            pub fn get_write_buffer_size(&self) -> f64 {
                self.t.get_write_buffer_size() as f64
            }
        }
    };
}

pub(crate) use shared_transport_methods;
