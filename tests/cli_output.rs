//! Output files: a device or named pipe given as the output is written through, never
//! replaced by a regular file (the atomic temp-file-and-rename would turn `-o /dev/null`
//! into a regular file that every later `> /dev/null` on the machine writes into).

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use crate::util::{bitext, tempdir};

/// Runs a bitext command whose output is the named pipe `fifo`, read through `pipe`.
fn written_through(mut command: assert_cmd::Command, fifo: &Path, pipe: &mut File) -> String {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        fs::metadata(fifo).unwrap().file_type().is_fifo(),
        "bitext replaced the named pipe with a regular file"
    );
    let mut buf = vec![0; 4096];
    let n = pipe
        .read(&mut buf)
        .expect("bitext wrote into the named pipe");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn a_named_pipe_is_written_through_and_kept() {
    let dir = tempdir();
    let csv = dir.path().join("a.csv");
    fs::write(&csv, "en,fr\nHello,Bonjour\n").unwrap();
    let txt = dir.path().join("a.txt");
    fs::write(&txt, "One. Two.\n").unwrap();
    let fifo = dir.path().join("pipe");
    let name = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    // Held open for reading and writing (which does not block on Linux) and
    // non-blocking, so that bitext opens it at once and nothing hangs if bitext writes
    // somewhere else.
    let mut pipe = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();

    let mut convert = bitext();
    convert
        .args(["convert", "--to", "tsv"])
        .arg(&csv)
        .arg(&fifo);
    assert_eq!(
        written_through(convert, &fifo, &mut pipe),
        "en\tfr\nHello\tBonjour\n"
    );
    let mut segment = bitext();
    segment
        .args(["segment", "--lang", "en", "-o"])
        .arg(&fifo)
        .arg(&txt);
    assert_eq!(written_through(segment, &fifo, &mut pipe), "One.\nTwo.\n");
    // a.csv, a.txt and the pipe: no temporary file left beside it.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 3);
}
