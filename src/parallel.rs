//! Independent work items run on a few threads: the one pool loop that sweeps (points, and
//! seeds of a point) and seed runs share. Items are handed out by an atomic counter, so no
//! more than `jobs` are in flight; the first error cancels the rest.

use crate::params::ParamError;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Run `work(i)` for i in `0..total` on up to `jobs` threads, calling `on_done(i, &result)`
/// as each finishes (in completion order, from the worker threads). Stops handing out items
/// once `cancel` is set or an item fails; returns the results in index order, or the first
/// error. Items finished after a cancel are dropped, so a cancelled run returns a prefix-free
/// subset and says nothing about the rest.
pub fn run_indexed<T: Send>(
    total: usize,
    jobs: usize,
    cancel: &AtomicBool,
    work: impl Fn(usize) -> Result<T, ParamError> + Sync,
    on_done: impl Fn(usize, &T) + Sync,
) -> Result<Vec<(usize, T)>, ParamError> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(total));
    let failure: Mutex<Option<ParamError>> = Mutex::new(None);
    let jobs = jobs.clamp(1, total.max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                while !cancel.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    match work(i) {
                        Ok(value) if !cancel.load(Ordering::Relaxed) => {
                            on_done(i, &value);
                            results
                                .lock()
                                .expect("no panics hold this lock")
                                .push((i, value));
                        }
                        Ok(_) => {}
                        Err(e) => {
                            let mut slot = failure.lock().expect("no panics hold this lock");
                            slot.get_or_insert(e);
                            cancel.store(true, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().expect("no panics hold this lock") {
        return Err(e);
    }
    let mut results = results.into_inner().expect("no panics hold this lock");
    results.sort_by_key(|(i, _)| *i);
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_once_in_index_order() {
        let cancel = AtomicBool::new(false);
        let seen = AtomicUsize::new(0);
        let out = run_indexed(
            50,
            3,
            &cancel,
            |i| Ok(i * i),
            |_, _| {
                seen.fetch_add(1, Ordering::Relaxed);
            },
        )
        .expect("no item fails");
        assert_eq!(out.len(), 50);
        assert!(
            out.iter()
                .enumerate()
                .all(|(k, (i, v))| k == *i && *v == i * i)
        );
        assert_eq!(seen.load(Ordering::Relaxed), 50);
    }

    #[test]
    fn the_first_error_is_returned() {
        let cancel = AtomicBool::new(false);
        let out = run_indexed(
            20,
            2,
            &cancel,
            |i| {
                if i == 7 {
                    Err(ParamError("seven".into()))
                } else {
                    Ok(i)
                }
            },
            |_, _| {},
        );
        assert_eq!(out.err().map(|e| e.0), Some("seven".to_string()));
    }
}
