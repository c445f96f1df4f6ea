//! Subprocesses with real `sh`, `cat`, `head` and `sleep`, on every loop
//! kind: asyncio's order of the protocol calls, stdio targets, large data
//! through full pipes, signals and return codes.

#![cfg(target_os = "linux")]

mod util;

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};

use evloop::subprocess::{Stdio, SubprocessOptions};
use util::net::run_until;
use util::proc::*;

fn opts(stdin: Stdio, stdout: Stdio, stderr: Stdio) -> SubprocessOptions {
    SubprocessOptions { stdin, stdout, stderr, ..SubprocessOptions::default() }
}

on_every_selector! {
    fn output_exit_code_and_the_order_of_calls(lp: EventLoop) {
        let (t, rec) = exec(&lp, "sh", &["-c", "echo out; echo err >&2; exit 3"], SubprocessOptions::default());
        assert!(t.get_pid() > 0);
        assert_eq!(rec.events().first(), Some(&PEv::Made), "connection_made first");
        assert!(t.get_pipe_transport(0).is_some() && t.get_pipe_transport(1).is_some() && t.get_pipe_transport(2).is_some());
        let code = wait(&lp, &t);
        assert_eq!(code, 3);
        assert_eq!(t.get_returncode(), Some(3));
        assert_eq!(rec.output(1), b"out\n");
        assert_eq!(rec.output(2), b"err\n");
        let ev = rec.events();
        assert_eq!(ev.last(), Some(&PEv::Lost), "connection_lost last, before wait() resolved");
        for fd in 0..3 {
            assert!(ev.contains(&PEv::PipeLost(fd, None)), "pipe {fd} lost: {ev:?}");
        }
        let exited = ev.iter().position(|e| *e == PEv::Exited).unwrap();
        let last_data = ev.iter().rposition(|e| matches!(e, PEv::Data(..))).unwrap();
        assert!(last_data < ev.len() - 1 && exited < ev.len() - 1);
        assert_eq!(ev.iter().filter(|e| **e == PEv::Exited).count(), 1);
        // Finished: signals are refused (asyncio's ProcessLookupError).
        assert_eq!(t.send_signal(libc::SIGTERM).unwrap_err().name(), "ProcessLookupError");
        lp.close().unwrap();
    }

    fn cat_echoes_megabytes_written_to_its_stdin_without_deadlock(lp: EventLoop) {
        let (t, rec) = exec(&lp, "cat", &[], SubprocessOptions::default());
        let stdin = t.get_pipe_transport(0).unwrap();
        // More than both pipes hold: cat blocks on its stdout unless we
        // read while we write.
        let data: Vec<u8> = (0..4_000_000u32).map(|i| (i % 251) as u8).collect();
        stdin.write(&data).unwrap();
        stdin.write_eof();
        assert_eq!(wait(&lp, &t), 0);
        assert!(rec.output(1) == data, "every byte back, in order");
        lp.close().unwrap();
    }

    fn large_output_through_a_full_pipe(lp: EventLoop) {
        let (t, rec) = exec(&lp, "head", &["-c", "20000000", "/dev/zero"], opts(Stdio::DevNull, Stdio::Pipe, Stdio::Pipe));
        assert!(t.get_pipe_transport(0).is_none());
        assert_eq!(wait(&lp, &t), 0);
        assert_eq!(rec.received(1), 20_000_000);
        lp.close().unwrap();
    }

    fn a_child_killed_mid_write(lp: EventLoop) {
        let (t, rec) = exec(&lp, "sh", &["-c", "while :; do echo spam; done"], opts(Stdio::DevNull, Stdio::Pipe, Stdio::DevNull));
        run_until(&lp, "some output", || rec.received(1) > 10_000);
        t.kill().unwrap();
        assert_eq!(wait(&lp, &t), -libc::SIGKILL);
        assert_eq!(t.get_returncode(), Some(-9));
        assert!(rec.events().contains(&PEv::PipeLost(1, None)));
        lp.close().unwrap();
    }

    fn terminate_and_send_signal_give_negative_codes(lp: EventLoop) {
        let (t, _rec) = exec(&lp, "sleep", &["30"], opts(Stdio::DevNull, Stdio::DevNull, Stdio::DevNull));
        assert_eq!(t.get_returncode(), None);
        t.terminate().unwrap();
        assert_eq!(wait(&lp, &t), -libc::SIGTERM);
        let (t, _rec) = exec(&lp, "sleep", &["30"], opts(Stdio::DevNull, Stdio::DevNull, Stdio::DevNull));
        t.send_signal(libc::SIGUSR1).unwrap();
        assert_eq!(wait(&lp, &t), -libc::SIGUSR1);
        lp.close().unwrap();
    }

    fn close_kills_a_running_child_and_it_is_still_reaped(lp: EventLoop) {
        let (t, rec) = exec(&lp, "sleep", &["30"], SubprocessOptions::default());
        let pid = t.get_pid();
        t.close();
        assert!(t.is_closing());
        assert_eq!(wait(&lp, &t), -libc::SIGKILL);
        assert!(rec.lost());
        assert!(!zombie(pid));
        lp.close().unwrap();
    }

    fn stderr_to_stdout_devnull_and_fd_targets(lp: EventLoop) {
        let (t, rec) = exec(&lp, "sh", &["-c", "echo one; echo two >&2"], opts(Stdio::DevNull, Stdio::Pipe, Stdio::Stdout));
        assert!(t.get_pipe_transport(2).is_none());
        wait(&lp, &t);
        assert_eq!(rec.output(1), b"one\ntwo\n");

        // An fd of ours: the child writes into our pipe; our fd stays open.
        let mut fds = [0; 2];
        // SAFETY: a valid out array.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: fresh fds we own.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let (t, _rec) = exec(&lp, "sh", &["-c", "echo to-fd"], opts(Stdio::DevNull, Stdio::Fd(fds[1]), Stdio::DevNull));
        wait(&lp, &t);
        drop(w);
        let mut got = String::new();
        std::fs::File::from(r).read_to_string(&mut got).unwrap();
        assert_eq!(got, "to-fd\n");

        let err = try_exec(&lp, "cat", &[], opts(Stdio::Stdout, Stdio::Pipe, Stdio::Pipe)).unwrap_err();
        assert_eq!(err.0, "ValueError");
        lp.close().unwrap();
    }

    fn cwd_and_env(lp: EventLoop) {
        let dir = std::env::temp_dir();
        let o = SubprocessOptions {
            cwd: Some(dir.clone()),
            env: Some(vec![("EVLOOP_TEST_VAR".into(), "forty-two".into())]),
            ..opts(Stdio::DevNull, Stdio::Pipe, Stdio::Pipe)
        };
        let (t, rec) = exec(&lp, "/bin/sh", &["-c", "pwd; echo $EVLOOP_TEST_VAR; echo ${HOME:-no-home}"], o);
        wait(&lp, &t);
        let want = format!("{}\nforty-two\nno-home\n", std::fs::canonicalize(&dir).unwrap().display());
        assert_eq!(String::from_utf8(rec.output(1)).unwrap(), want, "the environment is exactly env");
        lp.close().unwrap();
    }

    fn shell_and_a_missing_program(lp: EventLoop) {
        let rec = std::rc::Rc::new(ProcRecorder::default());
        let r2 = rec.clone();
        let fut = lp.subprocess_shell(move || Ok(r2), "echo $((6 * 7)) | cat", SubprocessOptions::default());
        let task = lp.create_task(async move { fut.await.map(|(t, _)| t).map_err(|e| e.to_string()) }).unwrap();
        let t = lp.run_until_complete(&task).unwrap().unwrap();
        assert_eq!(wait(&lp, &t), 0);
        assert_eq!(rec.output(1), b"42\n");

        let err = try_exec(&lp, "/nonexistent/evloop-program", &[], SubprocessOptions::default()).unwrap_err();
        assert_eq!(err.0, "FileNotFoundError");
        assert!(err.1.contains("[Errno 2]") && err.1.contains("'/nonexistent/evloop-program'"), "{}", err.1);
        lp.close().unwrap();
    }

    fn the_child_gets_only_its_three_fds(lp: EventLoop) {
        // Fds of ours that must not leak: a listening socket, a pipe, and
        // the loop's own.
        let _listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let (t1, _) = exec(&lp, "sleep", &["30"], SubprocessOptions::default());
        let (t, rec) = exec(&lp, "sh", &["-c", "exec ls /proc/self/fd"], SubprocessOptions::default());
        wait(&lp, &t);
        // 0, 1, 2, 3 (the directory ls is reading), and whatever this test
        // process itself inherited without close-on-exec from whoever
        // started it (not ours to close).
        let mut want: Vec<i32> = inherited_fds();
        want.extend([0, 1, 2, 3]);
        want.sort();
        want.dedup();
        let mut got: Vec<i32> = String::from_utf8(rec.output(1)).unwrap().lines().map(|l| l.parse().unwrap()).collect();
        got.sort();
        assert_eq!(got, want);
        t1.kill().unwrap();
        wait(&lp, &t1);
        lp.close().unwrap();
    }
}

/// This process's fds above 2 without close-on-exec.
fn inherited_fds() -> Vec<i32> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        // SAFETY: F_GETFD only reads the fd table.
        .filter(|&fd| fd > 2 && unsafe { libc::fcntl(fd, libc::F_GETFD) } & libc::FD_CLOEXEC == 0)
        .collect()
}

/// `create_subprocess_exec`: the streams level.
mod streams_level {
    use super::*;
    use evloop::DEFAULT_LIMIT;

    on_every_selector! {
        fn cat_through_streams_with_drain(lp: EventLoop) {
            let o = opts(Stdio::Pipe, Stdio::Pipe, Stdio::Pipe);
            let fut = lp.create_subprocess_exec("cat", &[], o, DEFAULT_LIMIT);
            let task = lp.create_task(async move {
                let p = fut.await.unwrap();
                let stdin = p.stdin().unwrap();
                let stdout = p.stdout().unwrap();
                let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 249) as u8).collect();
                let expect = data.clone();
                let reader = stdout.get_loop().create_task(async move { stdout.read(-1).await.unwrap() }).unwrap();
                stdin.write(&data).unwrap();
                stdin.drain().await.unwrap();
                stdin.close();
                let got = (*reader).clone().await.unwrap();
                let code = p.wait().await.unwrap();
                assert_eq!(p.stderr().unwrap().read(-1).await.unwrap(), b"");
                (got == expect, code, p.returncode())
            }).unwrap();
            assert_eq!(lp.run_until_complete(&task).unwrap(), (true, 0, Some(0)));
            lp.close().unwrap();
        }

        fn shell_exit_code_and_inherited_streams(lp: EventLoop) {
            let o = opts(Stdio::Inherit, Stdio::Pipe, Stdio::DevNull);
            let fut = lp.create_subprocess_shell("echo hi; exit 5", o, DEFAULT_LIMIT);
            let task = lp.create_task(async move {
                let p = fut.await.unwrap();
                assert!(p.stdin().is_none() && p.stderr().is_none());
                let line = p.stdout().unwrap().readline().await.unwrap();
                (line, p.wait().await.unwrap())
            }).unwrap();
            assert_eq!(lp.run_until_complete(&task).unwrap(), (b"hi\n".to_vec(), 5));
            lp.close().unwrap();
        }
    }
}
