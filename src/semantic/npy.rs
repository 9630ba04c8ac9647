//! A reader for NumPy's `.npy` arrays (the members of the encoder's `weights.npz`):
//! the magic, a Python-literal header dict (`descr`, `fortran_order`, `shape`), then
//! the raw little-endian data. Only what the model uses is accepted: dtypes `<f4`,
//! `|u1`, `|i1`, `<f8`, C order; anything else is a typed error naming the array.

use crate::error::{Error, Location, Result};

/// The element type and data of an array.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyData {
    /// `<f4`: little-endian float32.
    F32(Vec<f32>),
    /// `<f8`: little-endian float64.
    F64(Vec<f64>),
    /// `|u1`: bytes.
    U8(Vec<u8>),
    /// `|i1`: signed bytes.
    I8(Vec<i8>),
}

impl NpyData {
    fn dtype(&self) -> &'static str {
        match self {
            NpyData::F32(_) => "<f4",
            NpyData::F64(_) => "<f8",
            NpyData::U8(_) => "|u1",
            NpyData::I8(_) => "|i1",
        }
    }
}

/// One array: its shape (empty for a scalar) and its elements in C order.
#[derive(Debug, Clone, PartialEq)]
pub struct Npy {
    /// Dimensions, outermost first.
    pub shape: Vec<usize>,
    /// The elements.
    pub data: NpyData,
}

impl Npy {
    /// Parses a whole `.npy` file; `name` (e.g. `weights.npz/q1.npy`) goes into errors.
    pub fn parse(bytes: &[u8], name: &str) -> Result<Npy> {
        let bad = |message: String| Error::syntax(message, Location::file(name));
        if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
            return Err(bad("not a .npy array (no \\x93NUMPY magic)".into()));
        }
        let (header_len, header_start) = match bytes[6] {
            1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
            2 | 3 if bytes.len() >= 12 => (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            ),
            v => return Err(bad(format!("unsupported .npy format version {v}"))),
        };
        let data_start = header_start + header_len;
        let header = bytes
            .get(header_start..data_start)
            .ok_or_else(|| bad("header runs past the end of the file".into()))?;
        let header = std::str::from_utf8(header)
            .map_err(|_| bad("header is not text".into()))?
            .trim_end();
        let dict = parse_dict(header).map_err(|m| bad(format!("bad header {header:?}: {m}")))?;
        if dict.fortran_order {
            return Err(bad("Fortran-order arrays are not supported".into()));
        }
        let count = dict.shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        let count = count.ok_or_else(|| bad(format!("shape {:?} is too large", dict.shape)))?;
        let raw = &bytes[data_start..];
        let width = match dict.descr.as_str() {
            "<f4" => 4,
            "<f8" => 8,
            "|u1" | "|i1" => 1,
            other => return Err(bad(format!("unsupported dtype {other:?}"))),
        };
        if raw.len() != count * width {
            return Err(bad(format!(
                "shape {:?} of {} needs {} bytes of data, the file has {}",
                dict.shape,
                dict.descr,
                count * width,
                raw.len()
            )));
        }
        let data = match dict.descr.as_str() {
            "<f4" => NpyData::F32(
                raw.chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                    .collect(),
            ),
            "<f8" => NpyData::F64(
                raw.chunks_exact(8)
                    .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
                    .collect(),
            ),
            "|u1" => NpyData::U8(raw.to_vec()),
            _ => NpyData::I8(raw.iter().map(|&b| b as i8).collect()),
        };
        Ok(Npy {
            shape: dict.shape,
            data,
        })
    }

    /// The float32 elements, if the array has exactly this shape and dtype `<f4`.
    pub fn into_f32(self, shape: &[usize], name: &str) -> Result<Vec<f32>> {
        match self.data {
            NpyData::F32(v) if self.shape == shape => Ok(v),
            data => Err(mismatch(name, &self.shape, data.dtype(), shape, "<f4")),
        }
    }

    /// The bytes, if the array has exactly this shape and dtype `|u1`.
    pub fn into_u8(self, shape: &[usize], name: &str) -> Result<Vec<u8>> {
        match self.data {
            NpyData::U8(v) if self.shape == shape => Ok(v),
            data => Err(mismatch(name, &self.shape, data.dtype(), shape, "|u1")),
        }
    }

    /// The single value of a 0-d or one-element array of any numeric dtype.
    pub fn scalar(&self, name: &str) -> Result<f64> {
        let value = match &self.data {
            NpyData::F32(v) if v.len() == 1 => v[0] as f64,
            NpyData::F64(v) if v.len() == 1 => v[0],
            NpyData::U8(v) if v.len() == 1 => v[0] as f64,
            NpyData::I8(v) if v.len() == 1 => v[0] as f64,
            data => return Err(mismatch(name, &self.shape, data.dtype(), &[], "a scalar")),
        };
        Ok(value)
    }
}

fn mismatch(name: &str, shape: &[usize], dtype: &str, want: &[usize], want_dtype: &str) -> Error {
    Error::invalid(format!(
        "array has shape {shape:?} and dtype {dtype}, expected shape {want:?} and dtype {want_dtype}"
    ))
    .at(Location::file(name))
}

/// The three header entries.
#[derive(Debug, PartialEq)]
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` — the
/// fixed form NumPy writes (keys in any order, spaces and a trailing comma allowed).
fn parse_dict(text: &str) -> std::result::Result<Header, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    p.expect(b'{')?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        p.skip_ws();
        if p.eat(b'}') {
            break;
        }
        let key = p.string()?;
        p.skip_ws();
        p.expect(b':')?;
        p.skip_ws();
        match key.as_str() {
            "descr" => descr = Some(p.string()?),
            "fortran_order" => fortran = Some(p.boolean()?),
            "shape" => shape = Some(p.tuple()?),
            other => return Err(format!("unknown key {other:?}")),
        }
        p.skip_ws();
        if !p.eat(b',') {
            p.skip_ws();
            p.expect(b'}')?;
            break;
        }
    }
    p.skip_ws();
    if p.i != p.s.len() {
        return Err("text after the dict".into());
    }
    Ok(Header {
        descr: descr.ok_or("no 'descr'")?,
        fortran_order: fortran.ok_or("no 'fortran_order'")?,
        shape: shape.ok_or("no 'shape'")?,
    })
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.s.get(self.i) == Some(&c);
        self.i += hit as usize;
        hit
    }

    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected {:?} at byte {}", c as char, self.i))
        }
    }

    fn string(&mut self) -> std::result::Result<String, String> {
        let quote = *self.s.get(self.i).ok_or("unexpected end")?;
        if quote != b'\'' && quote != b'"' {
            return Err(format!("expected a quoted string at byte {}", self.i));
        }
        let start = self.i + 1;
        let len = self.s[start..]
            .iter()
            .position(|&c| c == quote)
            .ok_or("unterminated string")?;
        self.i = start + len + 1;
        Ok(String::from_utf8_lossy(&self.s[start..start + len]).into_owned())
    }

    fn boolean(&mut self) -> std::result::Result<bool, String> {
        for (word, value) in [(&b"True"[..], true), (&b"False"[..], false)] {
            if self.s[self.i..].starts_with(word) {
                self.i += word.len();
                return Ok(value);
            }
        }
        Err(format!("expected True or False at byte {}", self.i))
    }

    fn tuple(&mut self) -> std::result::Result<Vec<usize>, String> {
        self.expect(b'(')?;
        let mut dims = Vec::new();
        loop {
            self.skip_ws();
            if self.eat(b')') {
                return Ok(dims);
            }
            let start = self.i;
            while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
            let digits = std::str::from_utf8(&self.s[start..self.i]).unwrap();
            dims.push(
                digits
                    .parse()
                    .map_err(|_| format!("expected a dimension at byte {start}"))?,
            );
            self.skip_ws();
            if !self.eat(b',') {
                self.skip_ws();
                self.expect(b')')?;
                return Ok(dims);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version-1 .npy file as NumPy writes it (header padded to 64 bytes).
    fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn reads_float32_matrix() {
        let data: Vec<u8> = [1.0f32, -2.5, 3.0, 0.5, 7.0, 8.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let a = Npy::parse(&npy("<f4", "(2, 3)", &data), "a.npy").unwrap();
        assert_eq!(a.shape, [2, 3]);
        assert_eq!(
            a.into_f32(&[2, 3], "a.npy").unwrap(),
            [1.0, -2.5, 3.0, 0.5, 7.0, 8.0]
        );
    }

    #[test]
    fn reads_scalar_bytes_and_one_element_tuple() {
        let eps = Npy::parse(&npy("<f8", "()", &1e-6f64.to_le_bytes()), "eps.npy").unwrap();
        assert!(eps.shape.is_empty());
        assert_eq!(eps.scalar("eps.npy").unwrap(), 1e-6);
        let bits = Npy::parse(&npy("|i1", "(1,)", &[6]), "bits.npy").unwrap();
        assert_eq!(bits.shape, [1]);
        assert_eq!(bits.scalar("bits.npy").unwrap(), 6.0);
        let q = Npy::parse(&npy("|u1", "(2, 2)", &[0, 63, 1, 2]), "q.npy").unwrap();
        assert_eq!(q.into_u8(&[2, 2], "q.npy").unwrap(), [0, 63, 1, 2]);
    }

    #[test]
    fn errors_name_the_array_and_the_problem() {
        let err = Npy::parse(b"PK\x03\x04 not npy", "w/q1.npy").unwrap_err();
        assert_eq!(
            err.to_string(),
            "w/q1.npy: not a .npy array (no \\x93NUMPY magic)"
        );
        let short = Npy::parse(&npy("<f4", "(2, 3)", &[0; 20]), "a.npy").unwrap_err();
        assert!(short
            .to_string()
            .contains("needs 24 bytes of data, the file has 20"));
        let dtype = Npy::parse(&npy("<i8", "(1,)", &[0; 8]), "a.npy").unwrap_err();
        assert!(
            dtype.to_string().contains("unsupported dtype \"<i8\""),
            "{dtype}"
        );
        let mut fortran = npy("<f4", "(1,)", &[0; 4]);
        let at = fortran.windows(5).position(|w| w == b"False").unwrap();
        fortran[at..at + 5].copy_from_slice(b"True ");
        let err = Npy::parse(&fortran, "a.npy").unwrap_err();
        assert!(err.to_string().contains("Fortran"), "{err}");
        let a = Npy::parse(&npy("<f4", "(2,)", &[0; 8]), "a.npy").unwrap();
        let err = a.into_f32(&[3], "a.npy").unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.npy: array has shape [2] and dtype <f4, expected shape [3] and dtype <f4"
        );
    }

    #[test]
    fn header_dict_variants() {
        let h =
            parse_dict("{\"shape\": (7530, 512), \"fortran_order\": False, \"descr\": \"|u1\"}")
                .unwrap();
        assert_eq!(h.shape, [7530, 512]);
        assert_eq!(h.descr, "|u1");
        assert!(parse_dict("{'descr': '<f4', 'shape': (1,)}").is_err());
        assert!(parse_dict("{'descr': '<f4', 'fortran_order': False, 'shape': (x,)}").is_err());
    }
}
