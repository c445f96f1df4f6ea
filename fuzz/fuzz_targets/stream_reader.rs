//! libFuzzer entry point of the `stream_reader` target (src/stream_reader.rs).
//! Without the `libfuzzer` feature it is the seeded driver for this target.
#![cfg_attr(feature = "libfuzzer", no_main)]

#[cfg(feature = "libfuzzer")]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evloop_fuzz::stream_reader::run(data));

#[cfg(not(feature = "libfuzzer"))]
fn main() {
    evloop_fuzz::drive::main_for(&["stream_reader"]);
}
