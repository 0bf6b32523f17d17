//! Where log lines go: stdout, in batches. A line is appended whole to a shared buffer (so lines
//! never interleave) and a flusher thread writes whatever is pending every [`PERIOD`] with one
//! `write(2)`: no system call and no wake-up per line (docs/performance.md measured both).
//! The buffer is bounded: a logger that finds it over [`HIGH_WATER`] writes it out itself, so
//! memory stays bounded and no line is dropped. Until [`start`] (and after [`stop`]) lines are
//! written straight through, so commands that print and log keep their order.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long a line may wait in the buffer.
const PERIOD: Duration = Duration::from_millis(20);
/// Pending bytes above which the logging thread flushes itself.
const HIGH_WATER: usize = 1 << 20;

struct Shared {
    pending: Mutex<Vec<u8>>,
    buffering: AtomicBool,
    /// Wakes the flusher early, to stop.
    stop: (Mutex<bool>, Condvar),
}

static SHARED: Shared = Shared {
    pending: Mutex::new(Vec::new()),
    buffering: AtomicBool::new(false),
    stop: (Mutex::new(false), Condvar::new()),
};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the buffer leaves whole lines in it: keep using it.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes every pending line to stdout, in order. Holding stdout's lock while taking the
/// buffer keeps batches in order when two threads flush at once.
pub fn flush() {
    let mut out = std::io::stdout().lock();
    let batch = std::mem::take(&mut *lock(&SHARED.pending));
    if !batch.is_empty() {
        let _ = out.write_all(&batch);
    }
    let _ = out.flush();
    // Give the capacity back, so a steady load reuses one allocation.
    let mut batch = batch;
    batch.clear();
    let mut pending = lock(&SHARED.pending);
    if pending.is_empty() && pending.capacity() < batch.capacity() {
        std::mem::swap(&mut *pending, &mut batch);
    }
}

/// Starts buffering, with the flusher thread; for long-running commands (serve, simulator).
pub fn start() {
    if SHARED.buffering.swap(true, Ordering::AcqRel) {
        return;
    }
    *lock(&SHARED.stop.0) = false;
    let spawned = std::thread::Builder::new()
        .name("log-flusher".into())
        .spawn(|| {
            let (stopped, wake) = &SHARED.stop;
            let mut stop = lock(stopped);
            while !*stop {
                stop = wake
                    .wait_timeout(stop, PERIOD)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                drop(stop);
                flush();
                stop = lock(stopped);
            }
        });
    if spawned.is_err() {
        // No thread, no buffering: lines go straight through.
        SHARED.buffering.store(false, Ordering::Release);
    }
}

/// Writes what is pending and goes back to writing lines straight through (at exit).
pub fn stop() {
    if !SHARED.buffering.swap(false, Ordering::AcqRel) {
        return;
    }
    let (stopped, wake) = &SHARED.stop;
    *lock(stopped) = true;
    wake.notify_all();
    flush();
}

/// The `MakeWriter` given to the log layer: each event is formatted whole, then written once.
#[derive(Clone, Copy, Default)]
pub struct Batched;

pub struct Line;

impl Write for Line {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        if !SHARED.buffering.load(Ordering::Acquire) {
            let mut out = std::io::stdout().lock();
            out.write_all(line)?;
            return Ok(line.len());
        }
        let over = {
            let mut pending = lock(&SHARED.pending);
            pending.extend_from_slice(line);
            pending.len() > HIGH_WATER
        };
        // Over the bound, or buffering stopped while this line was added: write it now.
        if over || !SHARED.buffering.load(Ordering::Acquire) {
            flush();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Batched {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line
    }
}
