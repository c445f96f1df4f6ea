//! The simulation's randomness: xoshiro256** streams seeded through
//! splitmix64, one per host and one per directed link, each derived from
//! the simulation's seed and names only (never from the order in which
//! hosts or links were created), so adding a host leaves every other
//! stream as it was.
//!
//! | stream | seed of the stream |
//! |---|---|
//! | host `name` | `seed ^ fnv1a64(name)` |
//! | link `src -> dst` | `seed ^ fnv1a64(src ++ [0xff] ++ dst) ^ LINK_SALT` |
//! | buggify point `p` | `seed ^ fnv1a64(p) ^ BUGGIFY_SALT` |
//! | executor of host `name` | `seed ^ fnv1a64(name) ^ EXECUTOR_SALT` |
//! | TLS of host `name` | `seed ^ fnv1a64(name) ^ TLS_SALT` |
//!
//! The stream seed is expanded into xoshiro's 256-bit state with four
//! splitmix64 outputs. `0xff` never occurs in UTF-8, so `("a", "bc")` and
//! `("ab", "c")` hash differently.

/// 64-bit FNV-1a of `bytes` (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_continue(0xcbf2_9ce4_8422_2325, bytes)
}

fn fnv1a64_continue(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// One step of splitmix64: advances `state` and returns the next output.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Distinguishes link streams from host streams.
const LINK_SALT: u64 = 0x6c69_6e6b_5f73_616c; // "link_sal"

/// Distinguishes buggify streams from host streams of the same name.
const BUGGIFY_SALT: u64 = 0x6275_6767_6966_7921; // "buggify!"

/// Distinguishes a host's executor stream from its own stream.
const EXECUTOR_SALT: u64 = 0x6578_6563_7574_6f72; // "executor"

/// Distinguishes a host's TLS stream from its own stream.
const TLS_SALT: u64 = 0x746c_735f_7365_6564; // "tls_seed"

/// A xoshiro256** generator.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is four splitmix64 outputs from `seed`.
    pub fn from_seed(seed: u64) -> Rng {
        let mut sm = seed;
        let s = [splitmix64(&mut sm), splitmix64(&mut sm), splitmix64(&mut sm), splitmix64(&mut sm)];
        Rng { s }
    }

    /// The stream of host `name`.
    pub fn for_host(seed: u64, name: &str) -> Rng {
        Rng::from_seed(seed ^ fnv1a64(name.as_bytes()))
    }

    /// The stream of the directed link `src -> dst`.
    pub fn for_link(seed: u64, src: &str, dst: &str) -> Rng {
        let h = fnv1a64_continue(fnv1a64_continue(fnv1a64(src.as_bytes()), &[0xff]), dst.as_bytes());
        Rng::from_seed(seed ^ h ^ LINK_SALT)
    }

    /// The stream of buggify point `point`.
    pub fn for_buggify(seed: u64, point: &str) -> Rng {
        Rng::from_seed(seed ^ fnv1a64(point.as_bytes()) ^ BUGGIFY_SALT)
    }

    /// The stream of host `name`'s executor (how long its work takes).
    pub fn for_executor(seed: u64, name: &str) -> Rng {
        Rng::from_seed(seed ^ fnv1a64(name.as_bytes()) ^ EXECUTOR_SALT)
    }

    /// The stream of host `name`'s TLS connections (each draws its seed here).
    pub fn for_tls(seed: u64, name: &str) -> Rng {
        Rng::from_seed(seed ^ fnv1a64(name.as_bytes()) ^ TLS_SALT)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A float uniform in `[0, 1)` (the top 53 bits).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A float uniform in `[lo, hi]` (`lo` when they are equal, without a draw).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        if hi <= lo {
            return lo;
        }
        lo + (hi - lo) * self.next_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // FNV-1a test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        // splitmix64 from 0 (reference implementation's first outputs).
        let mut s = 0;
        assert_eq!(splitmix64(&mut s), 0xe220_a839_7b1d_cdaf);
        assert_eq!(splitmix64(&mut s), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn floats_in_range_and_streams_independent() {
        let mut r = Rng::for_host(7, "a");
        for _ in 0..1000 {
            let x = r.next_f64();
            assert!((0.0..1.0).contains(&x));
        }
        assert_ne!(Rng::for_host(7, "a").next_u64(), Rng::for_host(7, "b").next_u64());
        assert_ne!(Rng::for_link(7, "a", "b").next_u64(), Rng::for_link(7, "b", "a").next_u64());
        assert_ne!(Rng::for_link(7, "a", "bc").next_u64(), Rng::for_link(7, "ab", "c").next_u64());
        assert_eq!(Rng::for_host(7, "a").next_u64(), Rng::for_host(7, "a").next_u64());
    }
}
