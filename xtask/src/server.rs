//! A background emulator for `demo` and `bench`: started from the project's virtual environment,
//! stopped when dropped (its stdin closes, and it is killed), driven through its control API.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// A running emulator process.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    endpoint: String,
    /// `host:port` for the control API.
    addr: String,
}

impl Server {
    /// Starts `python -m radiant_emulator` on a free loopback port with the given extra flags
    /// (faults, seeding) and waits until it answers.
    pub fn start(root: &Path, python: &Path, extra_args: &[String]) -> Result<Server> {
        let mut child = Command::new(python)
            .args([
                "-m",
                "radiant_emulator",
                "--port",
                "0",
                "--exit-on-stdin-eof",
            ])
            .args(extra_args)
            .env("PYTHONPATH", root.join("xtask/emulator"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting the emulator with `{}`", python.display()))?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .context("the emulator's stdout is not captured")?;
        let mut lines = BufReader::new(stdout).lines();
        let endpoint = loop {
            let Some(line) = lines.next() else {
                let _ = child.kill();
                bail!(
                    "the emulator exited before it listened (run `cargo xtask emulator` to see why)"
                );
            };
            let line = line?;
            if let Some(url) = line.strip_prefix("radiant-emulator listening on ") {
                break url.trim().to_owned();
            }
        };
        // Keep draining stdout so the emulator never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let addr = endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        Ok(Server {
            child,
            stdin,
            endpoint,
            addr,
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The emulator's process ID (for CPU-time measurement).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `GET /_radiant/PATH`, parsed as JSON.
    pub fn get(&self, path: &str) -> Result<serde_json::Value> {
        http(&self.addr, "GET", &format!("/_radiant/{path}"), None)
    }

    /// `POST /_radiant/PATH` with a JSON body, parsed as JSON.
    pub fn post(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value> {
        http(&self.addr, "POST", &format!("/_radiant/{path}"), Some(body))
    }

    /// The environment a client of the management account uses.
    pub fn client_env(&self, region: &str) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "AKIARADIANTEMULATOR1"),
            ("AWS_SECRET_ACCESS_KEY", "radiant-emulator-secret"),
            ("AWS_REGION", region),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 exchange on loopback (`Connection: close`), enough for the control API.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Result<serde_json::Value> {
    let payload = body.map(serde_json::Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(addr)
        .with_context(|| format!("connecting to the emulator at `{addr}`"))?;
    stream.set_read_timeout(Some(Duration::from_secs(600)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .context("malformed HTTP response from the emulator")?;
    let status = head.split_whitespace().nth(1).unwrap_or("0");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    if !status.starts_with('2') {
        bail!("emulator answered {status} to {method} {path}: {body}");
    }
    serde_json::from_str(&body)
        .with_context(|| format!("the emulator's answer to {method} {path} is not JSON"))
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::dechunk;

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(dechunk("4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n"), "{\"a\":1}");
    }
}
