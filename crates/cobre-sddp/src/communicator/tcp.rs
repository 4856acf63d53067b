//! Processes on one or several hosts over TCP sockets (`std::net`): rank 0
//! is the coordinator, every other rank keeps one connection to it, and
//! every collective goes through rank 0, which assembles the parts in rank
//! order whatever order they arrive in.
//!
//! Frames are `[length u32 BE][tag u8][payload]` (length counts the tag and
//! the payload). A connecting rank sends `Hello(token, rank, size)`; rank 0
//! checks that the token (a number shared by the processes of one job, so
//! that a stray process of another job cannot join), the rank and the size
//! fit, and answers `Welcome(size)`. A peer that dies closes its socket, so
//! the others fail at once; a peer that hangs fails them after the timeout.

use super::{check_rank, no_root, Communicator, Gathered, Group};
use crate::SddpError;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

const HELLO: u8 = 0x08;
const WELCOME: u8 = 0x09;
const GATHER_PART: u8 = 0x01;
const GATHER_ALL: u8 = 0x02;
const BROADCAST: u8 = 0x05;
/// Largest frame accepted (a corrupt length must not allocate wildly).
const MAX_FRAME: usize = 1 << 31;

/// How a process joins a TCP group.
#[derive(Debug, Clone)]
pub struct TcpConfig {
    /// This process's rank.
    pub rank: usize,
    /// Number of processes.
    pub size: usize,
    /// Where rank 0 listens: rank 0 binds it, the others connect to it.
    pub coordinator: String,
    /// Shared by the processes of one job (refuses strays).
    pub token: u64,
    /// Longest wait for a peer (connection or collective).
    pub timeout: Duration,
}

impl TcpConfig {
    /// The configuration from the environment: `COBRE_TCP_RANK`,
    /// `COBRE_TCP_SIZE`, `COBRE_TCP_COORDINATOR` (host, default
    /// `127.0.0.1`), `COBRE_TCP_PORT` (default 29500), `COBRE_TCP_TOKEN`
    /// (default 0) and `COBRE_TCP_TIMEOUT_SECS` (default 600).
    ///
    /// # Errors
    /// [`SddpError::InvalidSetting`] for a missing or malformed variable.
    pub fn from_env() -> Result<Self, SddpError> {
        fn var(name: &'static str) -> Option<String> {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        }
        fn num(name: &'static str, default: Option<u64>) -> Result<u64, SddpError> {
            match var(name) {
                Some(v) => v.parse().map_err(|_| SddpError::InvalidSetting {
                    setting: name,
                    message: format!("`{v}` is not a non-negative integer"),
                }),
                None => default.ok_or(SddpError::InvalidSetting {
                    setting: name,
                    message: "not set".into(),
                }),
            }
        }
        let host = var("COBRE_TCP_COORDINATOR").unwrap_or_else(|| "127.0.0.1".into());
        let port = num("COBRE_TCP_PORT", Some(29500))?;
        Ok(Self {
            rank: usize::try_from(num("COBRE_TCP_RANK", None)?).unwrap_or(usize::MAX),
            size: usize::try_from(num("COBRE_TCP_SIZE", None)?).unwrap_or(0),
            coordinator: format!("{host}:{port}"),
            token: num("COBRE_TCP_TOKEN", Some(0))?,
            timeout: Duration::from_secs(num("COBRE_TCP_TIMEOUT_SECS", Some(600))?),
        })
    }
}

/// One rank of a TCP group (see the module docs).
#[derive(Debug)]
pub struct TcpCommunicator {
    group: Group,
    /// Rank 0: the connection to rank `i + 1` at `i`; other ranks: the
    /// connection to rank 0 alone.
    peers: Mutex<Vec<TcpStream>>,
}

fn fail(message: impl Into<String>) -> SddpError {
    SddpError::Communicator {
        message: message.into(),
    }
}

fn io_fail(what: &str, e: &std::io::Error) -> SddpError {
    let why = match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            "timed out waiting for a peer".to_string()
        }
        std::io::ErrorKind::UnexpectedEof
        | std::io::ErrorKind::ConnectionReset
        | std::io::ErrorKind::BrokenPipe => "a peer process is gone".to_string(),
        _ => e.to_string(),
    };
    fail(format!("tcp {what}: {why}"))
}

fn write_frame(s: &mut TcpStream, tag: u8, parts: &[&[u8]]) -> Result<(), SddpError> {
    let len: usize = 1 + parts.iter().map(|p| p.len()).sum::<usize>();
    let len32 = u32::try_from(len).map_err(|_| fail(format!("tcp: message of {len} bytes")))?;
    let mut head = [0u8; 5];
    head[..4].copy_from_slice(&len32.to_be_bytes());
    head[4] = tag;
    s.write_all(&head).map_err(|e| io_fail("send", &e))?;
    for p in parts {
        s.write_all(p).map_err(|e| io_fail("send", &e))?;
    }
    Ok(())
}

/// Reads one frame of tag `want` into `out` (cleared first).
fn read_frame(s: &mut TcpStream, want: u8, out: &mut Vec<u8>) -> Result<(), SddpError> {
    let mut head = [0u8; 5];
    s.read_exact(&mut head)
        .map_err(|e| io_fail("receive", &e))?;
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if len == 0 || len > MAX_FRAME {
        return Err(fail(format!("tcp: bad frame length {len}")));
    }
    if head[4] != want {
        return Err(fail(format!(
            "tcp: protocol error, expected message {want:#04x}, got {:#04x}",
            head[4]
        )));
    }
    out.clear();
    out.resize(len - 1, 0);
    s.read_exact(out).map_err(|e| io_fail("receive", &e))
}

fn configure(s: &TcpStream, timeout: Duration) -> Result<(), SddpError> {
    s.set_nodelay(true).map_err(|e| io_fail("setup", &e))?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| io_fail("setup", &e))?;
    s.set_write_timeout(Some(timeout))
        .map_err(|e| io_fail("setup", &e))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl TcpCommunicator {
    /// Joins the group: rank 0 binds `config.coordinator` and waits for
    /// the others (at most `config.timeout`); the others connect to it,
    /// retrying until it listens.
    ///
    /// # Errors
    /// [`SddpError::InvalidSetting`] for a rank outside `0..size`;
    /// [`SddpError::Communicator`] when the group cannot be formed.
    pub fn connect(config: &TcpConfig) -> Result<Self, SddpError> {
        check_rank("tcp.rank", config.rank, config.size)?;
        if config.rank == 0 {
            let listener = TcpListener::bind(&config.coordinator)
                .map_err(|e| fail(format!("tcp: cannot listen on {}: {e}", config.coordinator)))?;
            Self::accept(listener, config)
        } else {
            Self::join(config)
        }
    }

    /// Rank 0 of a group on a listener bound by the caller (for example
    /// to port 0, reading the port it got before starting the others).
    ///
    /// # Errors
    /// As [`TcpCommunicator::connect`].
    pub fn accept(listener: TcpListener, config: &TcpConfig) -> Result<Self, SddpError> {
        let deadline = Instant::now() + config.timeout;
        listener
            .set_nonblocking(true)
            .map_err(|e| io_fail("listen", &e))?;
        let mut slots: Vec<Option<TcpStream>> = (1..config.size).map(|_| None).collect();
        let mut hello = Vec::new();
        while slots.iter().any(Option::is_none) {
            let mut s = match listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() > deadline {
                        let missing: Vec<usize> = slots
                            .iter()
                            .enumerate()
                            .filter(|(_, s)| s.is_none())
                            .map(|(i, _)| i + 1)
                            .collect();
                        return Err(fail(format!(
                            "tcp: ranks {missing:?} did not join within {:?}",
                            config.timeout
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                Err(e) => return Err(io_fail("accept", &e)),
            };
            s.set_nonblocking(false)
                .map_err(|e| io_fail("accept", &e))?;
            configure(&s, config.timeout)?;
            // A connection that does not introduce itself properly is
            // dropped; the group keeps waiting for the real ranks.
            if read_frame(&mut s, HELLO, &mut hello).is_err() || hello.len() != 16 {
                tracing::warn!("tcp: a connection that is not a cobre rank was refused");
                continue;
            }
            let token = u64::from_be_bytes(hello[..8].try_into().unwrap_or([0; 8]));
            let (rank, size) = (u32_at(&hello, 8), u32_at(&hello, 12));
            let rank = rank.map_or(0, |r| r as usize);
            let ok = token == config.token
                && size.map(|s| s as usize) == Some(config.size)
                && (1..config.size).contains(&rank)
                && slots.get(rank - 1).is_some_and(Option::is_none);
            if !ok {
                tracing::warn!(
                    rank,
                    "tcp: a connection with a wrong job token, rank or size was refused"
                );
                continue;
            }
            let size32 = u32::try_from(config.size).unwrap_or(u32::MAX);
            write_frame(&mut s, WELCOME, &[&size32.to_be_bytes()])?;
            if let Some(slot) = slots.get_mut(rank - 1) {
                *slot = Some(s);
            }
        }
        Ok(Self {
            group: Group {
                rank: 0,
                size: config.size,
            },
            peers: Mutex::new(slots.into_iter().flatten().collect()),
        })
    }

    fn join(config: &TcpConfig) -> Result<Self, SddpError> {
        let deadline = Instant::now() + config.timeout;
        let addrs: Vec<SocketAddr> = config
            .coordinator
            .to_socket_addrs()
            .map_err(|e| fail(format!("tcp: coordinator `{}`: {e}", config.coordinator)))?
            .collect();
        let mut s = loop {
            let attempt = addrs
                .iter()
                .find_map(|a| TcpStream::connect_timeout(a, Duration::from_secs(2)).ok());
            match attempt {
                Some(s) => break s,
                None if Instant::now() > deadline => {
                    return Err(fail(format!(
                        "tcp: rank {} could not reach the coordinator at {} within {:?}",
                        config.rank, config.coordinator, config.timeout
                    )))
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        configure(&s, config.timeout)?;
        let rank32 = u32::try_from(config.rank).unwrap_or(u32::MAX);
        let size32 = u32::try_from(config.size).unwrap_or(u32::MAX);
        write_frame(
            &mut s,
            HELLO,
            &[
                &config.token.to_be_bytes(),
                &rank32.to_be_bytes(),
                &size32.to_be_bytes(),
            ],
        )?;
        let mut welcome = Vec::new();
        read_frame(&mut s, WELCOME, &mut welcome).map_err(|_| {
            fail("tcp: the coordinator refused this rank (job token, rank or size)")
        })?;
        if u32_at(&welcome, 0) != Some(size32) {
            return Err(fail("tcp: the coordinator runs a group of another size"));
        }
        Ok(Self {
            group: Group {
                rank: config.rank,
                size: config.size,
            },
            peers: Mutex::new(vec![s]),
        })
    }

    fn peers(&self) -> MutexGuard<'_, Vec<TcpStream>> {
        self.peers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `counts` as big-endian u64 values, then the data.
fn encode_counts(counts: &[usize]) -> Vec<u8> {
    counts
        .iter()
        .flat_map(|&c| (c as u64).to_be_bytes())
        .collect()
}

impl Communicator for TcpCommunicator {
    fn group(&self) -> Group {
        self.group
    }

    fn all_gather_bytes(&self, local: &[u8], into: &mut Gathered) -> Result<(), SddpError> {
        let Gathered { bytes: out, counts } = into;
        let mut peers = self.peers();
        out.clear();
        counts.clear();
        if self.group.rank == 0 {
            out.extend_from_slice(local);
            counts.push(local.len());
            let mut part = Vec::new();
            for s in peers.iter_mut() {
                read_frame(s, GATHER_PART, &mut part)?;
                out.extend_from_slice(&part);
                counts.push(part.len());
            }
            let head = encode_counts(counts);
            for s in peers.iter_mut() {
                write_frame(s, GATHER_ALL, &[&head, out])?;
            }
        } else {
            let s = peers
                .first_mut()
                .ok_or_else(|| fail("tcp: not connected"))?;
            write_frame(s, GATHER_PART, &[local])?;
            let mut all = Vec::new();
            read_frame(s, GATHER_ALL, &mut all)?;
            let head_len = 8 * self.group.size;
            let head = all
                .get(..head_len)
                .ok_or_else(|| fail("tcp: short gather message"))?;
            for c in head.chunks_exact(8) {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                counts.push(usize::try_from(u64::from_be_bytes(b)).unwrap_or(usize::MAX));
            }
            if counts.iter().try_fold(0usize, |a, &c| a.checked_add(c))
                != Some(all.len() - head_len)
            {
                return Err(fail("tcp: gather message lengths do not add up"));
            }
            out.extend_from_slice(&all[head_len..]);
        }
        Ok(())
    }

    fn broadcast_bytes(&self, data: &mut Vec<u8>, root: usize) -> Result<(), SddpError> {
        if root >= self.group.size {
            return Err(no_root(root, self.group.size));
        }
        let mut peers = self.peers();
        if self.group.rank == 0 {
            if root != 0 {
                let from = peers
                    .get_mut(root - 1)
                    .ok_or_else(|| fail("tcp: not connected"))?;
                read_frame(from, BROADCAST, data)?;
            }
            for (i, s) in peers.iter_mut().enumerate() {
                if i + 1 != root {
                    write_frame(s, BROADCAST, &[data])?;
                }
            }
        } else {
            let s = peers
                .first_mut()
                .ok_or_else(|| fail("tcp: not connected"))?;
            if self.group.rank == root {
                write_frame(s, BROADCAST, &[data])?;
            } else {
                read_frame(s, BROADCAST, data)?;
            }
        }
        Ok(())
    }

    fn barrier(&self) -> Result<(), SddpError> {
        self.all_gather_bytes(&[], &mut Gathered::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::communicator::Collectives;

    fn group(size: usize, timeout: Duration) -> Vec<TcpCommunicator> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let config = |rank| TcpConfig {
            rank,
            size,
            coordinator: addr.clone(),
            token: 42,
            timeout,
        };
        std::thread::scope(|s| {
            let c0 = config(0);
            let first = s.spawn(move || TcpCommunicator::accept(listener, &c0).unwrap());
            let others: Vec<_> = (1..size)
                .map(|r| {
                    let c = config(r);
                    s.spawn(move || TcpCommunicator::connect(&c).unwrap())
                })
                .collect();
            let mut all = vec![first.join().unwrap()];
            all.extend(others.into_iter().map(|h| h.join().unwrap()));
            all
        })
    }

    #[test]
    fn collectives_over_sockets_match_the_in_process_ones() {
        let ranks = group(3, Duration::from_secs(20));
        let out: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = ranks
                .iter()
                .map(|c| {
                    s.spawn(move || {
                        let local: Vec<f64> =
                            (0..=c.rank()).map(|i| (10 * c.rank() + i) as f64).collect();
                        let (mut all, mut counts) = (Vec::new(), Vec::new());
                        c.all_gather_f64(&local, &mut all, &mut counts).unwrap();
                        let shared: Vec<f64> = c.share(Some(&local), 2).unwrap();
                        let from0: u64 = c.share(Some(&7u64), 0).unwrap();
                        c.barrier().unwrap();
                        (all, counts, shared, from0)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (all, counts, shared, from0) in out {
            assert_eq!(all, vec![0.0, 10.0, 11.0, 20.0, 21.0, 22.0]);
            assert_eq!(counts, vec![1, 2, 3]);
            assert_eq!(shared, vec![20.0, 21.0, 22.0]);
            assert_eq!(from0, 7);
        }
    }

    #[test]
    fn a_peer_that_leaves_makes_the_others_fail_at_once() {
        let mut ranks = group(2, Duration::from_secs(30));
        let gone = ranks.pop().unwrap();
        drop(gone);
        let started = Instant::now();
        assert!(ranks[0].barrier().is_err());
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_stranger_with_the_wrong_token_is_refused() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let cfg = |rank, token| TcpConfig {
            rank,
            size: 2,
            coordinator: addr.clone(),
            token,
            timeout: Duration::from_secs(3),
        };
        std::thread::scope(|s| {
            let c0 = cfg(0, 1);
            let lead = s.spawn(move || TcpCommunicator::accept(listener, &c0));
            let stranger = TcpCommunicator::connect(&cfg(1, 2));
            assert!(stranger.is_err());
            let real = TcpCommunicator::connect(&cfg(1, 1)).unwrap();
            let lead = lead.join().unwrap().unwrap();
            std::thread::scope(|s2| {
                s2.spawn(|| real.barrier().unwrap());
                lead.barrier().unwrap();
            });
        });
    }
}
