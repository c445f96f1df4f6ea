//! libFuzzer entry point of the `write_buffer` target (src/write_buffer.rs).
//! Without the `libfuzzer` feature it is the seeded driver for this target.
#![cfg_attr(feature = "libfuzzer", no_main)]

#[cfg(feature = "libfuzzer")]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evloop_fuzz::write_buffer::run(data));

#[cfg(not(feature = "libfuzzer"))]
fn main() {
    evloop_fuzz::drive::main_for(&["write_buffer"]);
}
