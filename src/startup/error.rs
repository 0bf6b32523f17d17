//! Why the gateway could not start. Each is shown as one line (`error: …` on stderr, exit
//! code 2), the settings' problems one line each.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The settings do not hold together (see `Settings::problems`): every problem, one each.
    #[error("{}", .0.join("; "))]
    Settings(Vec<String>),
    /// The API's address is taken or not allowed; `hint` says what to do.
    #[error("server: cannot listen on {address}: {source}{hint}")]
    Listen {
        address: String,
        source: io::Error,
        hint: String,
    },
    #[error("server.metrics_port: cannot listen on {address}: {source}")]
    MetricsListen { address: String, source: io::Error },
    /// A listener bound but the server could not be started on it.
    #[error("{what}: {source}")]
    Serve {
        what: &'static str,
        source: io::Error,
    },
    #[error("{0}")]
    EmbeddedSimulator(String),
    #[error("http client: {0}")]
    HttpClient(String),
    #[error("{0}")]
    Redis(String),
    #[error("{0}")]
    WebhookWorker(String),
}

impl StartupError {
    /// What is printed, one line per problem.
    pub fn lines(&self) -> Vec<String> {
        match self {
            StartupError::Settings(problems) => problems.clone(),
            other => vec![other.to_string()],
        }
    }
}
