//! Starting a child: `std::process::Command` (posix_spawn where it can,
//! else fork and exec) with the stdio the caller asked for. The pipes are
//! made here, close-on-exec, so the child gets exactly its three ends and
//! no other fd of ours (the loop's own fds are close-on-exec as well).

use std::ffi::OsString;
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::process::{Command, Stdio as StdStdio};

use super::{Stdio, SubprocessOptions};
use crate::error::{Error, Result};

/// A started child and the parent's ends of its pipes.
pub(crate) struct Spawned {
    pub(crate) pid: i32,
    /// Our ends of the stdin, stdout and stderr pipes (`PIPE` only).
    pub(crate) pipes: [Option<OwnedFd>; 3],
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: a valid out array of two fds.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(Error::os("pipe", std::io::Error::last_os_error()));
    }
    // SAFETY: fresh fds we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A close-on-exec duplicate of `fd` (the child gets it as 0, 1 or 2; the
/// caller's fd stays open and theirs).
fn dup(fd: RawFd, call: &'static str) -> Result<OwnedFd> {
    if fd < 0 {
        return Err(Error::Value(format!("{call}: bad file descriptor {fd}")));
    }
    // SAFETY: borrowed only for the duplication; EBADF if it is not open.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    borrowed.try_clone_to_owned().map_err(|e| Error::os("dup", e))
}

/// What the child gets for one stream.
enum ChildSide {
    Inherit,
    Null,
    /// A pipe end or a duplicate of the caller's fd.
    Fd(OwnedFd),
}

impl ChildSide {
    fn into_std(self) -> StdStdio {
        match self {
            ChildSide::Inherit => StdStdio::inherit(),
            ChildSide::Null => StdStdio::null(),
            ChildSide::Fd(fd) => StdStdio::from(fd),
        }
    }

    /// The same target again (stderr = `STDOUT`); `std_fd`: what
    /// `Inherit` means for this stream.
    fn again(&self, std_fd: RawFd) -> Result<ChildSide> {
        Ok(match self {
            ChildSide::Inherit => ChildSide::Fd(dup(std_fd, "subprocess")?),
            ChildSide::Null => ChildSide::Null,
            ChildSide::Fd(fd) => ChildSide::Fd(fd.as_fd().try_clone_to_owned().map_err(|e| Error::os("dup", e))?),
        })
    }
}

/// The child's side of one stream, and our end if it is a pipe.
/// `child_reads`: stdin (the child reads, we write).
fn stream(choice: Stdio, child_reads: bool) -> Result<(ChildSide, Option<OwnedFd>)> {
    Ok(match choice {
        Stdio::Inherit => (ChildSide::Inherit, None),
        Stdio::DevNull => (ChildSide::Null, None),
        Stdio::Fd(fd) => (ChildSide::Fd(dup(fd, "subprocess")?), None),
        Stdio::Pipe => {
            let (r, w) = pipe()?;
            if child_reads {
                (ChildSide::Fd(r), Some(w))
            } else {
                (ChildSide::Fd(w), Some(r))
            }
        }
        Stdio::Stdout => return Err(Error::Value("STDOUT can only be used for stderr".into())),
    })
}

/// Starts `program` with `args` as `opts` say.
///
/// # Errors
/// `ValueError` for `STDOUT` anywhere but stderr; `FileNotFoundError`,
/// `PermissionError` and other `OSError`s from starting the program.
pub(crate) fn spawn(program: &OsString, args: &[OsString], opts: &SubprocessOptions) -> Result<Spawned> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    if let Some(cwd) = &opts.cwd {
        cmd.current_dir(cwd);
    }
    if let Some(env) = &opts.env {
        cmd.env_clear();
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
    }
    let (stdin, our_stdin) = stream(opts.stdin, true)?;
    let (stdout, our_stdout) = stream(opts.stdout, false)?;
    let (stderr, our_stderr) = match opts.stderr {
        // The child's stderr is whatever its stdout is.
        Stdio::Stdout => (stdout.again(1)?, None),
        other => stream(other, false)?,
    };
    cmd.stdin(stdin.into_std()).stdout(stdout.into_std()).stderr(stderr.into_std());
    let child = cmd.spawn().map_err(|e| spawn_error(program, e))?;
    // The child's ends close with `cmd`; the child is reaped by the exit
    // watcher, never through `child`.
    drop(cmd);
    let pid = child.id() as i32;
    Ok(Spawned { pid, pipes: [our_stdin, our_stdout, our_stderr] })
}

/// Python's text: `[Errno 2] No such file or directory: 'prog'`.
fn spawn_error(program: &OsString, e: std::io::Error) -> Error {
    let errno = e.raw_os_error().unwrap_or(0);
    let base = Error::os("execve", e);
    Error::os_with_message("execve", errno, format!("{}: '{}'", base.message(), program.to_string_lossy()))
}
