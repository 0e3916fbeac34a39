//! A minimal RESP2 client over a Unix socket: what the backend needs to talk to its own
//! `redis-server` child, nothing more.
//!
//! Owns: encoding commands as RESP arrays of bulk strings, decoding replies (simple strings,
//! errors, integers, bulk strings, arrays, nulls), `AUTH`, and read timeouts. Does not own:
//! pooling (see `pool`), FalkorDB's result format (see `compact`).
//!
//! Why hand-written: the protocol is five reply types; a full client crate would add an async
//! runtime or TLS stack to the engine's dependency graph for a local socket.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// One RESP2 reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`.
    Status(String),
    /// `-ERR …`: the server refused the command (the connection stays usable).
    Error(String),
    /// `:42`.
    Int(i64),
    /// `$n` bulk string (raw bytes).
    Bulk(Vec<u8>),
    /// `*n` array.
    Array(Vec<Reply>),
    /// `$-1` / `*-1`.
    Nil,
}

impl Reply {
    /// The reply as text (status, bulk or integer), if it is one.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Reply::Status(s) => Some(s.clone()),
            Reply::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
            Reply::Int(i) => Some(i.to_string()),
            _ => None,
        }
    }

    /// The integer value of an integer reply.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Reply::Int(i) => Some(*i),
            Reply::Bulk(_) | Reply::Status(_) => self.as_text()?.parse().ok(),
            _ => None,
        }
    }

    /// The items of an array reply (empty for anything else).
    pub fn items(&self) -> &[Reply] {
        match self {
            Reply::Array(items) => items,
            _ => &[],
        }
    }
}

/// A failure of the connection itself (not a server-side error reply).
#[derive(Debug, thiserror::Error)]
pub enum RespError {
    /// Socket I/O failed (the server died, or the read timed out).
    #[error("connection to the FalkorDB server failed: {0}")]
    Io(#[from] std::io::Error),
    /// The server sent something that is not RESP2.
    #[error("malformed reply from the FalkorDB server: {0}")]
    Protocol(String),
}

/// One connection to the server.
pub struct Connection {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects to `socket` and authenticates with `password`.
    pub fn connect(socket: &Path, password: &str) -> Result<Self, RespError> {
        let stream = UnixStream::connect(socket)?;
        let writer = stream.try_clone()?;
        let mut conn = Self {
            reader: BufReader::with_capacity(1 << 16, stream),
            writer,
        };
        match conn.command(&[b"AUTH", password.as_bytes()])? {
            Reply::Error(e) => Err(RespError::Protocol(format!("AUTH refused: {e}"))),
            _ => Ok(conn),
        }
    }

    /// Bounds how long a reply may take (`None`: wait forever).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> Result<(), RespError> {
        self.writer.set_read_timeout(timeout)?;
        Ok(())
    }

    /// A handle that breaks this connection from another thread (a blocked read then fails), so
    /// that a cancelled caller stops waiting.
    pub fn interrupt_handle(&self) -> Option<Interrupt> {
        self.writer.try_clone().ok().map(Interrupt)
    }

    /// Sends `commands` in one write and reads their replies (pipelining).
    pub fn pipeline(&mut self, commands: &[Vec<Vec<u8>>]) -> Result<Vec<Reply>, RespError> {
        let mut out = Vec::new();
        for args in commands {
            encode(&mut out, args.iter().map(Vec::as_slice));
        }
        self.writer.write_all(&out)?;
        commands
            .iter()
            .map(|_| read_reply(&mut self.reader))
            .collect()
    }

    /// Sends one command without reading its reply: the caller reads it later with
    /// [`Connection::receive`] (the bulk load prepares its next batch meanwhile).
    pub fn send(&mut self, args: &[&[u8]]) -> Result<(), RespError> {
        let mut out = Vec::with_capacity(64 + args.iter().map(|a| a.len() + 16).sum::<usize>());
        encode(&mut out, args.iter().copied());
        self.writer.write_all(&out)?;
        Ok(())
    }

    /// Reads the reply of the oldest command sent and not yet answered.
    pub fn receive(&mut self) -> Result<Reply, RespError> {
        read_reply(&mut self.reader)
    }

    /// Reads the reply of a FalkorDB query whose result holds only integers, sent without
    /// `--compact` (header, rows of `columns` integers, statistics), straight into one vector per
    /// column, without building a reply tree: the topology read of a large graph is millions of
    /// integers. A refusal is `Ok(Err(message))`.
    pub fn receive_int_columns(
        &mut self,
        columns: usize,
    ) -> Result<Result<Vec<Vec<i64>>, String>, RespError> {
        let mut line = Vec::with_capacity(32);
        let top = read_raw_line(&mut self.reader, &mut line)?;
        if top.first() == Some(&b'-') {
            return Ok(Err(String::from_utf8_lossy(&top[1..]).into_owned()));
        }
        if top != b"*3" {
            return Err(RespError::Protocol(format!(
                "expected a result set, got {:?}",
                String::from_utf8_lossy(top)
            )));
        }
        read_reply(&mut self.reader)?; // the header
        let rows = header_count(read_raw_line(&mut self.reader, &mut line)?)?;
        let mut out: Vec<Vec<i64>> = (0..columns).map(|_| Vec::with_capacity(rows)).collect();
        for _ in 0..rows {
            if header_count(read_raw_line(&mut self.reader, &mut line)?)? != columns {
                return Err(RespError::Protocol("a row of another width".into()));
            }
            for column in &mut out {
                match read_raw_line(&mut self.reader, &mut line)? {
                    [b':', digits @ ..] => column.push(parse_int(digits)?),
                    other => {
                        return Err(RespError::Protocol(format!(
                            "expected an integer, got {:?}",
                            String::from_utf8_lossy(other)
                        )));
                    }
                }
            }
        }
        read_reply(&mut self.reader)?; // the statistics
        Ok(Ok(out))
    }

    /// Sends one command and reads its reply. Server-side errors are `Ok(Reply::Error)`.
    pub fn command(&mut self, args: &[&[u8]]) -> Result<Reply, RespError> {
        self.send(args)?;
        self.receive()
    }
}

/// Appends one command as a RESP array of bulk strings.
fn encode<'a>(out: &mut Vec<u8>, args: impl ExactSizeIterator<Item = &'a [u8]>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Breaks a [`Connection`] from another thread.
#[derive(Debug)]
pub struct Interrupt(UnixStream);

impl Interrupt {
    /// Shuts the socket down; the connection's pending and later reads fail.
    pub fn interrupt(&self) {
        let _ = self.0.shutdown(std::net::Shutdown::Both);
    }
}

/// One line without its CRLF, read into `buf` (reused between lines).
fn read_raw_line<'b>(r: &mut impl BufRead, buf: &'b mut Vec<u8>) -> Result<&'b [u8], RespError> {
    buf.clear();
    if r.read_until(b'\n', buf)? == 0 {
        return Err(RespError::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        )));
    }
    match buf.strip_suffix(b"\r\n") {
        Some(line) => Ok(line),
        None => Err(RespError::Protocol("line without CRLF".into())),
    }
}

/// A decimal integer of RESP.
fn parse_int(digits: &[u8]) -> Result<i64, RespError> {
    let (negative, digits) = match digits {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, digits),
    };
    if digits.is_empty() || digits.len() > 19 {
        return Err(RespError::Protocol("bad integer".into()));
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(RespError::Protocol("bad integer".into()));
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(d - b'0')))
            .ok_or_else(|| RespError::Protocol("integer out of range".into()))?;
    }
    Ok(if negative { -v } else { v })
}

/// The element count of an array header line (`*n`).
fn header_count(line: &[u8]) -> Result<usize, RespError> {
    match line {
        [b'*', digits @ ..] => usize::try_from(parse_int(digits)?)
            .map_err(|_| RespError::Protocol("negative array length".into())),
        other => Err(RespError::Protocol(format!(
            "expected an array, got {:?}",
            String::from_utf8_lossy(other)
        ))),
    }
}

fn read_line(r: &mut impl BufRead) -> Result<String, RespError> {
    let mut line = Vec::new();
    let n = r.read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(RespError::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        )));
    }
    if !line.ends_with(b"\r\n") {
        return Err(RespError::Protocol("line without CRLF".into()));
    }
    line.truncate(line.len() - 2);
    String::from_utf8(line).map_err(|e| RespError::Protocol(e.to_string()))
}

fn read_reply(r: &mut impl BufRead) -> Result<Reply, RespError> {
    let line = read_line(r)?;
    let (kind, rest) = line.split_at(line.len().min(1));
    let number = || {
        rest.parse::<i64>()
            .map_err(|_| RespError::Protocol(format!("bad length {rest:?}")))
    };
    Ok(match kind {
        "+" => Reply::Status(rest.to_string()),
        "-" => Reply::Error(rest.to_string()),
        ":" => Reply::Int(number()?),
        "$" => {
            let n = number()?;
            if n < 0 {
                return Ok(Reply::Nil);
            }
            let mut buf = vec![0; usize::try_from(n).unwrap_or(0) + 2];
            std::io::Read::read_exact(r, &mut buf)?;
            buf.truncate(buf.len() - 2);
            Reply::Bulk(buf)
        }
        "*" => {
            let n = number()?;
            if n < 0 {
                return Ok(Reply::Nil);
            }
            let mut items = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(1 << 20));
            for _ in 0..n {
                items.push(read_reply(r)?);
            }
            Reply::Array(items)
        }
        other => return Err(RespError::Protocol(format!("unknown reply type {other:?}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_results_stream_into_columns() {
        assert_eq!(parse_int(b"-42").unwrap(), -42);
        assert!(parse_int(b"4x").is_err() && parse_int(b"").is_err());
        assert!(parse_int(b"99999999999999999999").is_err());
        assert_eq!(header_count(b"*3").unwrap(), 3);
        assert!(header_count(b":3").is_err());
        let (ours, theirs) = UnixStream::pair().unwrap();
        let mut conn = Connection {
            reader: BufReader::new(ours.try_clone().unwrap()),
            writer: ours,
        };
        let mut server = theirs;
        server
            .write_all(b"*3\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n*2\r\n*2\r\n:1\r\n:-2\r\n*2\r\n:3\r\n:4\r\n*1\r\n$4\r\ntime\r\n-ERR no\r\n*3\r\n*0\r\n*1\r\n*1\r\n:1\r\n")
            .unwrap();
        assert_eq!(
            conn.receive_int_columns(2).unwrap().unwrap(),
            vec![vec![1, 3], vec![-2, 4]]
        );
        assert_eq!(conn.receive_int_columns(2).unwrap().unwrap_err(), "ERR no");
        assert!(conn.receive_int_columns(2).is_err());
    }

    #[test]
    fn decodes_every_reply_type() {
        let wire = b"*6\r\n+OK\r\n-ERR no\r\n:-7\r\n$5\r\nhe\r\no\r\n$-1\r\n*1\r\n*0\r\n";
        let reply = read_reply(&mut &wire[..]).unwrap();
        assert_eq!(
            reply,
            Reply::Array(vec![
                Reply::Status("OK".into()),
                Reply::Error("ERR no".into()),
                Reply::Int(-7),
                Reply::Bulk(b"he\r\no".to_vec()),
                Reply::Nil,
                Reply::Array(vec![Reply::Array(vec![])]),
            ])
        );
        assert!(read_reply(&mut &b"?x\r\n"[..]).is_err());
        assert!(read_reply(&mut &b""[..]).is_err());
    }
}
