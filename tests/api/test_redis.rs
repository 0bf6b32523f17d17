//! The test Redis: where it is, a check that it answers, and a TCP proxy in front of it that
//! can be cut.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// Redis used by tests; the test command guarantees one answers there.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A TCP proxy that can be cut (listener closed, live connections dropped) and restored on
/// the same port: "Redis went away" without touching the shared Redis.
pub struct ChaosProxy {
    pub addr: SocketAddr,
    target: SocketAddr,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

impl ChaosProxy {
    pub async fn start(target: SocketAddr) -> ChaosProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, _) = watch::channel(0);
        let proxy = ChaosProxy {
            addr,
            target,
            up: Arc::new(AtomicBool::new(true)),
            cut,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let target = self.target;
        let mut cut_rx = self.cut.subscribe();
        let generation = *cut_rx.borrow();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = cut_rx.changed() => return, // drops the listener: port closed
                    accepted = listener.accept() => {
                        let Ok((mut inbound, _)) = accepted else { continue };
                        let mut conn_cut = cut_rx.clone();
                        tokio::spawn(async move {
                            let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else { return };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                                _ = async { while *conn_cut.borrow_and_update() == generation { if conn_cut.changed().await.is_err() { break; } } } => {}
                            }
                        });
                    }
                }
            }
        });
    }

    /// Closes the port and every live connection.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|g| *g += 1);
    }

    /// Listens again on the same port.
    pub async fn restore(&self) {
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot rebind {}: {e}", self.addr),
            }
        };
        self.up.store(true, Ordering::SeqCst);
        self.serve(listener);
    }
}

/// The address of the test Redis, for the proxy.
pub fn redis_addr() -> SocketAddr {
    let url = redis_url();
    let hostport = url
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap_or("127.0.0.1:6379")
        .to_string();
    let hostport = hostport.rsplit('@').next().unwrap_or(&hostport).to_string();
    use std::net::ToSocketAddrs;
    hostport.to_socket_addrs().unwrap().next().unwrap()
}

/// Checks the test Redis answers; tests that need it fail loudly rather than skip.
pub async fn require_redis() {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = tokio::time::timeout(
        Duration::from_secs(2),
        client.get_multiplexed_async_connection(),
    )
    .await
    .expect("redis answers in time (run the tests with scripts/test, which starts one)")
    .expect("redis connection (run the tests with scripts/test, which starts one)");
    let pong: String = redis::cmd("PING").query_async(&mut conn).await.unwrap();
    assert_eq!(pong, "PONG");
}

/// A connection to the test Redis (standalone), to look at what the gateway wrote.
pub async fn redis_connection() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis")
}
