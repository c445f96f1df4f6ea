//! TLS inside a simulation: randomness from the host's seeded stream and
//! time from its virtual wall clock, so that the same seed gives the same
//! handshakes (and the same trace, segment sizes included).
//!
//! rustls asks a [`CryptoProvider`] for randomness (`secure_random`: client
//! and server randoms, session ids) and for key exchanges (`kx_groups`),
//! and a [`TimeProvider`] for the time certificates are checked against.
//! ring draws a key exchange's secret from the system itself, and its API
//! takes no other source, so the simulation's provider has one key exchange
//! of its own: X25519 (`x25519-dalek`) with a secret drawn from the stream.
//!
//! rustls keeps its providers as `&'static` and `Send + Sync`, while a
//! simulation is single-threaded and per host; so the provider's parts read
//! the source of the connection being worked on from a thread-local, which
//! the layer sets around each call into rustls ([`SimSource::enter`]). A
//! draw outside such a call fails (`GetRandomFailed`) rather than fall back
//! to the system's randomness and break determinism silently.
//!
//! What stays the system's: ring's ECDSA and RSA-PSS signatures take their
//! nonce or salt from the system. RSA-PSS signatures keep their size and
//! Ed25519 ones are deterministic, so traces are the same with those keys;
//! an ECDSA signature's length can differ by a byte or two (docs/tls.md).
//! None of this is secure: a simulation's keys are as guessable as its seed.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::{ActiveKeyExchange, CryptoProvider, GetRandomFailed, SecureRandom, SharedSecret, SupportedKxGroup};
use rustls::pki_types::UnixTime;
use rustls::time_provider::TimeProvider;
use rustls::{NamedGroup, PeerMisbehaved};

use crate::sim::rng::Rng;

/// Where one simulated connection's TLS draws its randomness and time:
/// a generator seeded from its host's `tls:<host>` stream, and the host's
/// wall clock (virtual time plus skew).
pub(crate) struct SimSource {
    rng: RefCell<Rng>,
    wall_time: Rc<dyn Fn() -> f64>,
}

thread_local! {
    /// The source of the connection whose rustls call is running.
    static CURRENT: RefCell<Option<Rng>> = const { RefCell::new(None) };
    static WALL_TIME: Cell<Option<f64>> = const { Cell::new(None) };
}

impl SimSource {
    pub(crate) fn new(seed: u64, wall_time: Rc<dyn Fn() -> f64>) -> SimSource {
        SimSource { rng: RefCell::new(Rng::from_seed(seed)), wall_time }
    }

    /// Runs `f` (a call into rustls) with this source current.
    pub(crate) fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        let rng = self.rng.borrow().clone();
        let outer_rng = CURRENT.with(|c| c.replace(Some(rng)));
        let outer_time = WALL_TIME.with(|t| t.replace(Some((self.wall_time)())));
        let result = f();
        if let Some(rng) = CURRENT.with(|c| c.replace(outer_rng)) {
            *self.rng.borrow_mut() = rng;
        }
        WALL_TIME.with(|t| t.set(outer_time));
        result
    }
}

fn fill(buf: &mut [u8]) -> Result<(), GetRandomFailed> {
    CURRENT.with(|c| {
        let mut c = c.borrow_mut();
        let rng = c.as_mut().ok_or(GetRandomFailed)?;
        for chunk in buf.chunks_mut(8) {
            let bytes = rng.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    })
}

/// `secure_random` of the simulation's provider.
#[derive(Debug)]
struct SeededRandom;

impl SecureRandom for SeededRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        fill(buf)
    }
}

/// X25519 with the secret drawn from the current source.
#[derive(Debug)]
struct SeededX25519;

struct X25519Exchange {
    secret: x25519_dalek::StaticSecret,
    public: [u8; 32],
}

impl SupportedKxGroup for SeededX25519 {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
        let mut bytes = [0u8; 32];
        fill(&mut bytes).map_err(|_| rustls::Error::FailedToGetRandomBytes)?;
        let secret = x25519_dalek::StaticSecret::from(bytes);
        let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
        Ok(Box::new(X25519Exchange { secret, public }))
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

impl ActiveKeyExchange for X25519Exchange {
    fn complete(self: Box<Self>, peer_pub_key: &[u8]) -> Result<SharedSecret, rustls::Error> {
        let peer: [u8; 32] = peer_pub_key.try_into().map_err(|_| rustls::Error::from(PeerMisbehaved::InvalidKeyShare))?;
        let shared = self.secret.diffie_hellman(&x25519_dalek::PublicKey::from(peer));
        // RFC 7748: an all-zero result means the peer sent a low-order point.
        if !shared.was_contributory() {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        Ok(SharedSecret::from(&shared.as_bytes()[..]))
    }

    fn pub_key(&self) -> &[u8] {
        &self.public
    }

    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

/// The host's wall clock, as of the rustls call under way.
#[derive(Debug)]
pub(crate) struct VirtualTime;

impl TimeProvider for VirtualTime {
    fn current_time(&self) -> Option<UnixTime> {
        let t = WALL_TIME.with(Cell::get)?;
        Some(UnixTime::since_unix_epoch(Duration::from_secs_f64(t.max(0.0))))
    }
}

static SEEDED_RANDOM: SeededRandom = SeededRandom;
static SEEDED_X25519: SeededX25519 = SeededX25519;

/// ring's provider with the simulation's randomness and key exchange.
pub(crate) fn sim_provider(ring: CryptoProvider) -> CryptoProvider {
    CryptoProvider { kx_groups: vec![&SEEDED_X25519], secure_random: &SEEDED_RANDOM, ..ring }
}

/// The simulation's time provider.
pub(crate) fn virtual_time() -> Arc<dyn TimeProvider> {
    Arc::new(VirtualTime)
}
