//! Holding back Ctrl-C and termination while cleanup must run: the default action would end the
//! process without running destructors, and leave bind mounts behind.

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

const DEFERRED: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

static RECEIVED: AtomicI32 = AtomicI32::new(0);
/// Guards alive now: only the last one dropped gives the signals back.
static HELD: AtomicUsize = AtomicUsize::new(0);

extern "C" fn remember(signal: libc::c_int) {
    RECEIVED.store(signal, Ordering::SeqCst);
}

/// While alive, those signals are recorded instead of acted on; on drop the default actions
/// come back and a recorded signal is raised again, so an interrupted run still stops, just
/// after its cleanup. Children get the default actions back when they exec, so Ctrl-C still
/// stops the command being waited for. Guards nest: a cleanup that must outlive an inner guard
/// (deleting what was mounted, after the unmount) holds an outer one.
pub struct DeferSignals;

impl DeferSignals {
    pub fn install() -> DeferSignals {
        if HELD.fetch_add(1, Ordering::SeqCst) > 0 {
            return DeferSignals;
        }
        for signal in DEFERRED {
            // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
            unsafe {
                libc::signal(signal, remember as *const () as libc::sighandler_t);
            }
        }
        DeferSignals
    }
}

impl Drop for DeferSignals {
    fn drop(&mut self) {
        if HELD.fetch_sub(1, Ordering::SeqCst) > 1 {
            return;
        }
        for signal in DEFERRED {
            // SAFETY: restoring the default disposition has no preconditions.
            unsafe {
                libc::signal(signal, libc::SIG_DFL);
            }
        }
        let pending = RECEIVED.swap(0, Ordering::SeqCst);
        if pending != 0 {
            eprintln!("xtask: interrupted (signal {pending}); mounts are cleaned up, stopping");
            // SAFETY: raising a signal whose default action ends the process.
            unsafe {
                libc::raise(pending);
            }
        }
    }
}
