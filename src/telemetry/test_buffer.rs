//! Tests' log destination: what the formatters write, kept in memory to be read back.

use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// What was written since the last take.
    pub fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

impl std::io::Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A subscriber writing JSON lines (the gateway's format) into `out`.
pub fn json_subscriber(out: &Buffer) -> impl tracing::Subscriber {
    use tracing_subscriber::layer::SubscriberExt;
    let writer = out.clone();
    tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .event_format(super::json::JsonLines)
            .with_writer(move || writer.clone()),
    )
}
