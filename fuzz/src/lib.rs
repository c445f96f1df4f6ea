//! evloop's fuzz targets, as plain functions of the input bytes (each
//! panics on a failure), and the stable driver that runs them on seeded
//! random inputs. docs/reliability.md says how to run them.

pub mod sim_faults;
pub mod stream_reader;
pub mod write_buffer;

pub mod drive;

/// The targets by name.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("stream_reader", stream_reader::run),
    ("write_buffer", write_buffer::run),
    ("sim_faults", sim_faults::run),
];
