//! The stable fuzz driver: every target (or those named) for a bounded
//! time on seeded random inputs. See `evloop_fuzz::drive`.
fn main() {
    evloop_fuzz::drive::main_for(&[]);
}
