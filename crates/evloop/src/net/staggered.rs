//! asyncio's `staggered_race` and `_interleave_addrinfos`: how
//! `create_connection` tries several addresses (RFC 8305, "happy
//! eyeballs").
//!
//! Without a delay the attempts run one after another, each once the
//! previous one failed. With a delay, the next attempt starts when the
//! delay has passed since the previous one started, or at once when that
//! one fails; the first attempt to succeed wins and the others, still
//! running, are dropped (which closes their sockets and cancels their
//! connects). All attempts are polled by the one task that awaits the race,
//! so dropping the race (a cancelled task) drops every attempt.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

use super::network::LocalFuture;
use crate::error::Error;
use crate::EventLoop;

/// One attempt: started when its turn comes; fails with every error it met.
pub(crate) type Attempt<T> = Box<dyn FnOnce() -> Running<T>>;

/// An attempt under way.
pub(crate) type Running<T> = LocalFuture<Result<T, Vec<Error>>>;

/// Runs `attempts` (see the module docs); returns the winner's value, or
/// `None`, and the errors of each attempt that started, in start order.
pub(crate) async fn staggered_race<T: 'static>(
    lp: &EventLoop,
    attempts: Vec<Attempt<T>>,
    delay: Option<f64>,
) -> (Option<T>, Vec<Error>) {
    let total = attempts.len();
    let mut waiting = attempts.into_iter();
    let mut errors: Vec<Vec<Error>> = Vec::new();
    let mut running: Vec<(usize, Running<T>)> = Vec::new();
    let mut timer: Option<crate::Future<()>> = None;
    let mut start_next = true;
    let winner = poll_fn(|cx| loop {
        if start_next {
            start_next = false;
            if let Some(attempt) = waiting.next() {
                running.push((errors.len(), attempt()));
                errors.push(Vec::new());
                // No timer after the last start: nothing is left to start.
                timer = match delay {
                    Some(d) if errors.len() < total => lp.sleep(d).ok(),
                    _ => None,
                };
            }
        }
        let latest = errors.len().checked_sub(1);
        let mut i = 0;
        while i < running.len() {
            match running[i].1.as_mut().poll(cx) {
                Poll::Ready(Ok(v)) => return Poll::Ready(Some(v)),
                Poll::Ready(Err(e)) => {
                    let (index, _) = running.remove(i);
                    errors[index] = e;
                    // Only the latest attempt's failure starts the next one early.
                    start_next |= Some(index) == latest;
                }
                Poll::Pending => i += 1,
            }
        }
        if !start_next {
            if let Some(t) = timer.as_mut() {
                if Pin::new(t).poll(cx).is_ready() {
                    timer = None;
                    start_next = true;
                }
            }
        }
        if start_next && errors.len() < total {
            continue;
        }
        if running.is_empty() && errors.len() == total {
            return Poll::Ready(None);
        }
        start_next = false;
        return Poll::Pending;
    })
    .await;
    // The losers still running close their sockets as they drop.
    drop(running);
    (winner, errors.into_iter().flatten().collect())
}

/// asyncio's `_interleave_addrinfos`: groups the items by `family` in the
/// order each family first appears, takes `first_family_count - 1` of the
/// first group, then alternates between the groups.
pub(crate) fn interleave<T>(items: Vec<T>, family: impl Fn(&T) -> i32, first_family_count: usize) -> Vec<T> {
    let mut groups: Vec<(i32, std::collections::VecDeque<T>)> = Vec::new();
    for item in items {
        let f = family(&item);
        match groups.iter_mut().find(|(g, _)| *g == f) {
            Some((_, list)) => list.push_back(item),
            None => groups.push((f, std::collections::VecDeque::from([item]))),
        }
    }
    let mut out = Vec::new();
    if first_family_count > 1 {
        if let Some((_, first)) = groups.first_mut() {
            for _ in 1..first_family_count {
                match first.pop_front() {
                    Some(item) => out.push(item),
                    None => break,
                }
            }
        }
    }
    while groups.iter().any(|(_, list)| !list.is_empty()) {
        for (_, list) in &mut groups {
            if let Some(item) = list.pop_front() {
                out.push(item);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::interleave;

    #[test]
    fn interleaves_by_family() {
        let items = vec![(6, 'a'), (6, 'b'), (6, 'c'), (4, 'x'), (4, 'y')];
        let fam = |i: &(i32, char)| i.0;
        let names = |v: Vec<(i32, char)>| v.into_iter().map(|i| i.1).collect::<String>();
        assert_eq!(names(interleave(items.clone(), fam, 1)), "axbyc");
        assert_eq!(names(interleave(items.clone(), fam, 2)), "abxcy");
        assert_eq!(names(interleave(items, fam, 5)), "abcxy");
    }
}
