//! The three ways to reach Redis behind one connection type, all with the `redis` crate's own
//! support: one node (`ConnectionManager`), the master Sentinel names (resolved again after every
//! failure, so a failover is followed), or a Cluster (`cluster_async`, which follows MOVED/ASK
//! and refreshes its slot map by itself).

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClient, SentinelServerType};
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

use crate::config::RedisServer;

pub(super) enum Backend {
    Standalone(redis::Client),
    /// `SentinelClient` asks the sentinels through `&mut self`: one lookup at a time.
    Sentinel(tokio::sync::Mutex<SentinelClient>),
    Cluster(ClusterClient),
}

/// A live connection, cheap to clone (both kinds multiplex over shared sockets).
#[derive(Clone)]
pub(super) enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Backend {
    /// Builds the client; no I/O yet.
    pub(super) fn new(server: &RedisServer, timeout: Duration) -> RedisResult<Backend> {
        Ok(match server {
            RedisServer::Standalone(info) => {
                Backend::Standalone(redis::Client::open(info.clone())?)
            }
            RedisServer::Sentinel {
                sentinels,
                master_name,
                master,
            } => Backend::Sentinel(tokio::sync::Mutex::new(SentinelClient::build(
                sentinels.clone(),
                master_name.as_str(),
                Some(master.clone()),
                SentinelServerType::Master,
            )?)),
            RedisServer::Cluster(seeds) => Backend::Cluster(
                ClusterClient::builder(seeds.clone())
                    .connection_timeout(timeout)
                    .response_timeout(timeout)
                    // A redirection or a reconnection is retried at once; a longer wait would
                    // only run into the command's deadline.
                    .retries(2)
                    .min_retry_wait(10)
                    .max_retry_wait(timeout.as_millis() as u64 / 2)
                    .build()?,
            ),
        })
    }

    /// A connection, made within `timeout` by the caller.
    pub(super) async fn connect(&self, timeout: Duration) -> RedisResult<Conn> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(timeout);
        match self {
            Backend::Standalone(client) => Ok(Conn::Single(
                ConnectionManager::new_lazy_with_config(client.clone(), config)?,
            )),
            Backend::Sentinel(sentinel) => {
                // Asks the sentinels which node is the master now, and checks it says so.
                let master = sentinel.lock().await.async_get_client().await?;
                Ok(Conn::Single(ConnectionManager::new_lazy_with_config(
                    master, config,
                )?))
            }
            Backend::Cluster(client) => Ok(Conn::Cluster(client.get_async_connection().await?)),
        }
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}
