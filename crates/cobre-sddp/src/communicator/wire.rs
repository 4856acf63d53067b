//! Typed messages between processes: one small encode/decode layer over
//! byte buffers, shared by every backend (MPI, TCP, shared memory, in
//! process).
//!
//! A [`Wire`] type appends itself to a byte buffer and reads itself back
//! from a [`Reader`]; integers are little-endian fixed width, `f64` travels
//! as its bit pattern (exact, NaN payloads included), lengths as `u64`. A
//! buffer that ends early or holds a value out of its type's range is a
//! [`WireError`], never a panic. The collectives of [`Collectives`] use it:
//! every rank's value in rank order ([`Collectives::gather`]), rank `root`'s
//! value on every rank ([`Collectives::share`]), and `f64` buffers
//! concatenated in rank order ([`Collectives::all_gather_f64`]).

use super::{Communicator, Gathered};
use crate::SddpError;
use cobre_solver::{Basis, BasisStatus};
use std::cell::RefCell;

/// A message that did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed message: {what} at byte {at}")]
pub struct WireError {
    /// What was being read.
    pub what: &'static str,
    /// Byte offset where reading failed.
    pub at: usize,
}

impl From<WireError> for SddpError {
    fn from(e: WireError) -> Self {
        SddpError::Communicator {
            message: e.to_string(),
        }
    }
}

/// Reads values back from a byte buffer, front to back.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// The next `n` bytes.
    ///
    /// # Errors
    /// [`WireError`] when fewer remain.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(WireError { what, at: self.pos })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WireError> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Bytes read so far.
    #[must_use]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Whether every byte was read.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.pos == self.buf.len()
    }

    /// Fails unless every byte was read.
    ///
    /// # Errors
    /// [`WireError`] for trailing bytes.
    pub fn finish(&self, what: &'static str) -> Result<(), WireError> {
        if self.is_done() {
            Ok(())
        } else {
            Err(WireError { what, at: self.pos })
        }
    }

    /// A length prefix, checked against what is left (each element takes
    /// at least `min_size` bytes), so a corrupt length cannot make the
    /// caller reserve a huge buffer.
    ///
    /// # Errors
    /// [`WireError`] for a length the rest of the buffer cannot hold.
    pub fn len_prefix(&mut self, min_size: usize, what: &'static str) -> Result<usize, WireError> {
        let at = self.pos;
        let n = usize::try_from(u64::decode(self)?).map_err(|_| WireError { what, at })?;
        let left = self.buf.len() - self.pos;
        if n.saturating_mul(min_size.max(1)) > left && min_size > 0 {
            return Err(WireError { what, at });
        }
        Ok(n)
    }
}

/// A value that travels between processes.
pub trait Wire: Sized {
    /// Appends the value to `out`.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads one value.
    ///
    /// # Errors
    /// [`WireError`] for a short or invalid buffer.
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError>;
    /// Fewest bytes one value takes (bounds the length prefixes of
    /// sequences of it).
    const MIN_SIZE: usize = 1;

    /// The value as a new buffer.
    fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }

    /// Decodes a whole buffer holding exactly one value.
    ///
    /// # Errors
    /// [`WireError`] for a short, invalid or over-long buffer.
    fn from_bytes(buf: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(buf);
        let v = Self::decode(&mut r)?;
        r.finish("trailing bytes")?;
        Ok(v)
    }
}

macro_rules! wire_int {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
                Ok(<$t>::from_le_bytes(r.array(stringify!($t))?))
            }
            const MIN_SIZE: usize = std::mem::size_of::<$t>();
        }
    )*};
}
wire_int!(u8, u32, u64, i64);

impl Wire for usize {
    fn encode(&self, out: &mut Vec<u8>) {
        (*self as u64).encode(out);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let at = r.pos;
        usize::try_from(u64::decode(r)?).map_err(|_| WireError { what: "usize", at })
    }
    const MIN_SIZE: usize = 8;
}

impl Wire for f64 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bits().to_le_bytes());
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(f64::from_bits(u64::from_le_bytes(r.array("f64")?)))
    }
    const MIN_SIZE: usize = 8;
}

impl Wire for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let at = r.pos;
        match u8::decode(r)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(WireError { what: "bool", at }),
        }
    }
}

impl Wire for String {
    fn encode(&self, out: &mut Vec<u8>) {
        self.len().encode(out);
        out.extend_from_slice(self.as_bytes());
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let n = r.len_prefix(1, "string length")?;
        let at = r.pos;
        let bytes = r.take(n, "string")?;
        String::from_utf8(bytes.to_vec()).map_err(|_| WireError { what: "utf-8", at })
    }
    const MIN_SIZE: usize = 8;
}

impl<T: Wire> Wire for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.len().encode(out);
        for v in self {
            v.encode(out);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let n = r.len_prefix(T::MIN_SIZE, "sequence length")?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(T::decode(r)?);
        }
        Ok(v)
    }
    const MIN_SIZE: usize = 8;
}

impl<T: Wire> Wire for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.encode(out);
            }
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(if bool::decode(r)? {
            Some(T::decode(r)?)
        } else {
            None
        })
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok((A::decode(r)?, B::decode(r)?))
    }
    const MIN_SIZE: usize = A::MIN_SIZE + B::MIN_SIZE;
}

impl Wire for BasisStatus {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.to_code());
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let at = r.pos;
        let code = u8::decode(r)?;
        if code > 4 {
            return Err(WireError {
                what: "basis status",
                at,
            });
        }
        Ok(BasisStatus::from_code(i64::from(code)))
    }
}

impl Wire for Basis {
    fn encode(&self, out: &mut Vec<u8>) {
        self.col_status.encode(out);
        self.row_status.encode(out);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Basis {
            col_status: Vec::decode(r)?,
            row_status: Vec::decode(r)?,
        })
    }
    const MIN_SIZE: usize = 16;
}

/// Appends the raw `f64` values (no length) to `out`.
fn put_f64s(values: &[f64], out: &mut Vec<u8>) {
    out.reserve(values.len() * 8);
    for v in values {
        out.extend_from_slice(&v.to_bits().to_le_bytes());
    }
}

thread_local! {
    /// Scratch buffers of [`Collectives::all_gather_f64`] (reused: no
    /// allocation per exchange after the first ones).
    static SCRATCH: RefCell<(Vec<u8>, Gathered)> = const {
        RefCell::new((
            Vec::new(),
            Gathered {
                bytes: Vec::new(),
                counts: Vec::new(),
            },
        ))
    };
}

/// Typed collectives over any [`Communicator`] (implemented for every
/// communicator, `dyn` included).
pub trait Collectives {
    /// Every rank's `local` value, in rank order.
    ///
    /// # Errors
    /// [`SddpError::Communicator`] when the exchange fails or a message
    /// does not decode.
    fn gather<T: Wire>(&self, local: &T) -> Result<Vec<T>, SddpError>;

    /// Rank `root`'s value on every rank (`value` is only read on `root`;
    /// other ranks may pass anything, `None` included).
    ///
    /// # Errors
    /// As [`Collectives::gather`]; also when `root` passes `None`.
    fn share<T: Wire>(&self, value: Option<&T>, root: usize) -> Result<T, SddpError>;

    /// Concatenates every rank's `local` values in rank order into `out`
    /// (cleared first); `counts` receives each rank's number of values.
    /// Values arrive bit for bit.
    ///
    /// # Errors
    /// As [`Collectives::gather`].
    fn all_gather_f64(
        &self,
        local: &[f64],
        out: &mut Vec<f64>,
        counts: &mut Vec<usize>,
    ) -> Result<(), SddpError>;

    /// Element-wise sum over ranks of `data`, added in rank order (rank 0
    /// first), written on every rank: the same bits on every rank and from
    /// one run to the next.
    ///
    /// # Errors
    /// As [`Collectives::gather`]; also when ranks pass different lengths.
    fn sum_in_rank_order(&self, data: &mut [f64]) -> Result<(), SddpError>;
}

impl<C: Communicator + ?Sized> Collectives for C {
    fn gather<T: Wire>(&self, local: &T) -> Result<Vec<T>, SddpError> {
        let mine = local.to_bytes();
        let mut all = Gathered::default();
        self.all_gather_bytes(&mine, &mut all)?;
        let mut out = Vec::with_capacity(all.counts.len());
        let mut pos = 0usize;
        for &n in &all.counts {
            let part = all
                .bytes
                .get(pos..pos + n)
                .ok_or(WireError {
                    what: "gathered part",
                    at: pos,
                })
                .map_err(SddpError::from)?;
            out.push(T::from_bytes(part)?);
            pos += n;
        }
        Ok(out)
    }

    fn share<T: Wire>(&self, value: Option<&T>, root: usize) -> Result<T, SddpError> {
        let mut buf = Vec::new();
        if self.rank() == root {
            let v = value.ok_or_else(|| SddpError::Communicator {
                message: format!("rank {root} has nothing to share"),
            })?;
            v.encode(&mut buf);
        }
        self.broadcast_bytes(&mut buf, root)?;
        Ok(T::from_bytes(&buf)?)
    }

    fn all_gather_f64(
        &self,
        local: &[f64],
        out: &mut Vec<f64>,
        counts: &mut Vec<usize>,
    ) -> Result<(), SddpError> {
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let (mine, all) = &mut *guard;
            mine.clear();
            put_f64s(local, mine);
            self.all_gather_bytes(mine, all)?;
            let Gathered {
                bytes: all,
                counts: byte_counts,
            } = all;
            out.clear();
            counts.clear();
            for &n in byte_counts.iter() {
                if n % 8 != 0 {
                    return Err(SddpError::from(WireError {
                        what: "f64 buffer length",
                        at: n,
                    }));
                }
                counts.push(n / 8);
            }
            out.extend(all.chunks_exact(8).map(|c| {
                f64::from_bits(u64::from_le_bytes([
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
                ]))
            }));
            Ok(())
        })
    }

    fn sum_in_rank_order(&self, data: &mut [f64]) -> Result<(), SddpError> {
        let (mut all, mut counts) = (Vec::new(), Vec::new());
        self.all_gather_f64(data, &mut all, &mut counts)?;
        if counts.iter().any(|&c| c != data.len()) {
            return Err(SddpError::Communicator {
                message: "sum over ranks of buffers of different lengths".into(),
            });
        }
        data.fill(0.0);
        for part in all.chunks_exact(data.len().max(1)) {
            for (d, v) in data.iter_mut().zip(part) {
                *d += v;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_bit_for_bit() {
        let v: Vec<(u64, Vec<f64>)> = vec![(3, vec![1.5, -0.0, f64::NAN]), (0, vec![])];
        let back = Vec::<(u64, Vec<f64>)>::from_bytes(&v.to_bytes()).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].0, 3);
        let bits: Vec<u64> = back[0].1.iter().map(|x| x.to_bits()).collect();
        let want: Vec<u64> = v[0].1.iter().map(|x| x.to_bits()).collect();
        assert_eq!(bits, want);
        let b = Basis {
            col_status: vec![BasisStatus::Basic, BasisStatus::Upper],
            row_status: vec![BasisStatus::Lower],
        };
        assert_eq!(Basis::from_bytes(&b.to_bytes()).unwrap(), b);
        assert_eq!(
            Option::<String>::from_bytes(&Some("é".to_string()).to_bytes()).unwrap(),
            Some("é".to_string())
        );
    }

    #[test]
    fn short_corrupt_or_long_buffers_are_errors_not_panics() {
        let bytes = vec![1.0f64, 2.0].to_bytes();
        assert!(Vec::<f64>::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut long = bytes.clone();
        long.push(0);
        assert!(Vec::<f64>::from_bytes(&long).is_err());
        // A length prefix far beyond the buffer does not allocate.
        let huge = u64::MAX.to_bytes();
        assert!(Vec::<f64>::from_bytes(&huge).is_err());
        assert!(bool::from_bytes(&[7]).is_err());
        assert!(BasisStatus::from_bytes(&[9]).is_err());
    }
}
