//! The few protobuf wire-format rules a sentencepiece model file needs: a message is a
//! run of (tag, value) fields, read here without generated code or a protobuf crate.
//! Every read is bounds-checked, so a truncated or garbled file is an error, not a panic.

use crate::{Error, Result};

/// One field value, as the wire type carries it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

impl<'a> Value<'a> {
    /// The bytes of a length-delimited field (strings, sub-messages).
    pub(super) fn bytes(self, what: &str) -> Result<&'a [u8]> {
        match self {
            Value::Bytes(b) => Ok(b),
            _ => Err(wrong_type(what)),
        }
    }

    /// A `float` field.
    pub(super) fn float(self, what: &str) -> Result<f32> {
        match self {
            Value::Fixed32(bits) => Ok(f32::from_bits(bits)),
            _ => Err(wrong_type(what)),
        }
    }

    /// An `int32` or enum field (negative values are ten-byte varints on the wire).
    pub(super) fn int32(self, what: &str) -> Result<i32> {
        match self {
            Value::Varint(v) => Ok(v as i64 as i32),
            _ => Err(wrong_type(what)),
        }
    }

    /// A `bool` field.
    pub(super) fn boolean(self, what: &str) -> Result<bool> {
        match self {
            Value::Varint(v) => Ok(v != 0),
            _ => Err(wrong_type(what)),
        }
    }
}

fn wrong_type(what: &str) -> Error {
    Error::model(format!(
        "sentencepiece model: {what} has the wrong wire type"
    ))
}

/// The fields of one message, in file order. `what` names the message in errors.
pub(super) struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Fields<'a> {
    pub(super) fn new(data: &'a [u8], what: &'static str) -> Fields<'a> {
        Fields { data, pos: 0, what }
    }

    fn truncated(&self) -> Error {
        Error::model(format!(
            "sentencepiece model: {} is truncated or garbled at byte {} of {}",
            self.what,
            self.pos,
            self.data.len()
        ))
    }

    fn varint(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.data.get(self.pos) else {
                return Err(self.truncated());
            };
            self.pos += 1;
            value |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.truncated())
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.data.len());
        let Some(end) = end else {
            return Err(self.truncated());
        };
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn field(&mut self) -> Result<(u32, Value<'a>)> {
        let tag = self.varint()?;
        let number = u32::try_from(tag >> 3).map_err(|_| self.truncated())?;
        if number == 0 {
            return Err(self.truncated());
        }
        let value = match tag & 7 {
            0 => Value::Varint(self.varint()?),
            1 => Value::Fixed64(u64::from_le_bytes(self.take(8)?.try_into().unwrap())),
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| self.truncated())?;
                Value::Bytes(self.take(len)?)
            }
            5 => Value::Fixed32(u32::from_le_bytes(self.take(4)?.try_into().unwrap())),
            // 3 and 4 are the deprecated groups, which sentencepiece never writes.
            _ => return Err(self.truncated()),
        };
        Ok((number, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.data.len() {
            return None;
        }
        let field = self.field();
        if field.is_err() {
            // Stop after the first error: what follows cannot be framed.
            self.pos = self.data.len();
        }
        Some(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_wire_type() {
        // field 1 varint 300, field 2 bytes "ab", field 3 fixed32 1.0, field 4 fixed64 7,
        // field 16 (two-byte tag) varint -1 as int32.
        let mut data = vec![0x08, 0xAC, 0x02, 0x12, 2, b'a', b'b', 0x1D];
        data.extend(1.0f32.to_le_bytes());
        data.push(0x21);
        data.extend(7u64.to_le_bytes());
        data.extend([0x80, 0x01]);
        data.extend([0xFF; 9]);
        data.push(0x01);
        let fields: Vec<_> = Fields::new(&data, "test").collect::<Result<_>>().unwrap();
        assert_eq!(fields[0], (1, Value::Varint(300)));
        assert_eq!(fields[1], (2, Value::Bytes(b"ab")));
        assert_eq!(fields[2].1.float("x").unwrap(), 1.0);
        assert_eq!(fields[3], (4, Value::Fixed64(7)));
        assert_eq!(fields[4].0, 16);
        assert_eq!(fields[4].1.int32("x").unwrap(), -1);
    }

    #[test]
    fn truncation_is_an_error_at_every_cut() {
        let mut data = vec![0x08, 0xAC, 0x02, 0x12, 2, b'a', b'b', 0x1D];
        data.extend(1.0f32.to_le_bytes());
        for cut in 1..data.len() {
            let fields: Result<Vec<_>> = Fields::new(&data[..cut], "test").collect();
            // Cuts between fields are valid shorter messages; the others must fail.
            if ![3, 7].contains(&cut) {
                let err = fields.unwrap_err();
                assert!(err.to_string().contains("truncated"), "{err}");
            }
        }
    }

    #[test]
    fn groups_and_overlong_varints_are_errors() {
        assert!(Fields::new(&[0x0B], "t").next().unwrap().is_err());
        assert!(Fields::new(
            &[0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            "t"
        )
        .next()
        .unwrap()
        .is_err());
        assert!(Fields::new(&[0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], "t")
            .next()
            .unwrap()
            .is_err());
    }
}
