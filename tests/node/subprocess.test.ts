// Subprocesses and pipes from Node on every loop kind: loop.subprocessExec /
// subprocessShell with a SubprocessProtocol, createSubprocessExec /
// createSubprocessShell and Process, connectReadPipe / connectWritePipe over
// real pipes, FIFOs and files, with real `sh`, `cat` and `sleep`, and beside
// node:child_process in the same process.
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BrokenPipeError,
  createSubprocessExec,
  createSubprocessShell,
  DEVNULL,
  FileNotFoundError,
  PIPE,
  Process,
  ProcessLookupError,
  STDOUT,
  SubprocessTransport,
  ValueError,
  type SubprocessProtocol,
} from 'evloop';
import { inLoop, makeLoop, LOOPS, Recorder, until } from './net-helpers.js';

const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString());

type PEvent = 'made' | 'exited' | 'lost' | ['data', number, string] | ['pipeLost', number, Error | null];

/** A subprocess protocol that records every call. */
class ProcRecorder implements SubprocessProtocol {
  events: PEvent[] = [];
  transport: SubprocessTransport | null = null;
  out = new Map<number, string>();

  connectionMade(t: SubprocessTransport): void {
    this.transport = t;
    this.events.push('made');
  }
  pipeDataReceived(fd: number, data: Uint8Array): void {
    this.events.push(['data', fd, Buffer.from(data).toString()]);
    this.out.set(fd, (this.out.get(fd) ?? '') + Buffer.from(data).toString());
  }
  pipeConnectionLost(fd: number, exc: Error | null): void {
    this.events.push(['pipeLost', fd, exc]);
  }
  processExited(): void {
    this.events.push('exited');
  }
  connectionLost(): void {
    this.events.push('lost');
  }
  get lost(): boolean {
    return this.events.includes('lost');
  }
}

/** A pipe made by a child of ours, to get two fds without a native helper: [read, write]. */
function osPipe(): [number, number] {
  // A FIFO opened both ways is a pipe with a name; unlink it at once.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evloop-pipe-'));
  const p = path.join(dir, 'fifo');
  execFileSync('mkfifo', [p]);
  const r = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const w = fs.openSync(p, fs.constants.O_WRONLY);
  fs.rmSync(dir, { recursive: true });
  return [r, w];
}

function execFileSync(cmd: string, args: string[]): void {
  if (spawnSync(cmd, args).status !== 0) throw new Error(`${cmd} failed`);
}

describe.each(LOOPS)('loop %s', (kind) => {
  it('subprocessExec: output, exit code and asyncio order of calls', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const [t, p] = await loop.subprocessExec(() => new ProcRecorder(), 'sh', ['-c', 'echo out; echo err >&2; exit 3']);
      expect(t).toBeInstanceOf(SubprocessTransport);
      expect(p.transport).toBe(t);
      expect(p.events[0]).toBe('made');
      expect(t.getPid()).toBeGreaterThan(0);
      expect(t.getPipeTransport(0)).not.toBeNull();
      expect(t.getPipeTransport(1)).toBe(t.getPipeTransport(1));
      await until('lost', () => p.lost);
      expect(t.getReturncode()).toBe(3);
      expect(p.out.get(1)).toBe('out\n');
      expect(p.out.get(2)).toBe('err\n');
      expect(p.events.at(-1)).toBe('lost');
      for (const fd of [0, 1, 2]) expect(p.events).toContainEqual(['pipeLost', fd, null]);
      expect(p.events.filter((e) => e === 'exited')).toHaveLength(1);
      expect(() => t.sendSignal('SIGTERM')).toThrow(ProcessLookupError);
    });
    loop.close();
  });

  it('subprocessShell with stdin written and stderr to STDOUT; kill gives -9', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const [t, p] = await loop.subprocessShell(() => new ProcRecorder(), 'cat; echo done >&2', { stderr: STDOUT });
      expect(t.getPipeTransport(2)).toBeNull();
      const stdin = t.getPipeTransport(0)!;
      stdin.write(new TextEncoder().encode('fed\n'));
      stdin.writeEof();
      await until('lost', () => p.lost);
      expect(p.out.get(1)).toBe('fed\ndone\n');

      const [t2, p2] = await loop.subprocessExec(() => new ProcRecorder(), 'sleep', ['30'], { stdin: DEVNULL, stdout: DEVNULL, stderr: DEVNULL });
      t2.kill();
      await until('lost', () => p2.lost);
      expect(t2.getReturncode()).toBe(-9);
    });
    loop.close();
  });

  it('createSubprocessExec: communicate with megabytes through cat', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const proc = await createSubprocessExec('cat', [], { stdin: PIPE, stdout: PIPE, stderr: PIPE });
      expect(proc).toBeInstanceOf(Process);
      expect(proc.pid).toBeGreaterThan(0);
      expect(proc.returncode).toBeNull();
      const input = Buffer.alloc(3_000_000, 'x');
      const [out, err] = await proc.communicate(input);
      expect(out!.length).toBe(input.length);
      expect(text(err)).toBe('');
      expect(proc.returncode).toBe(0);
      expect(await proc.wait()).toBe(0);
    });
    loop.close();
  });

  it('createSubprocessShell: streams, cwd, env, terminate, a missing program', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const dir = fs.realpathSync(os.tmpdir());
      const proc = await createSubprocessShell('pwd; echo $EVLOOP_X; echo ${HOME:-none}', { stdout: PIPE, cwd: dir, env: { EVLOOP_X: 'x1' } });
      expect(proc.stdin).toBeNull();
      expect(proc.stderr).toBeNull();
      expect(text(await proc.stdout!.read())).toBe(`${dir}\nx1\nnone\n`);
      expect(await proc.wait()).toBe(0);

      const sleeper = await createSubprocessExec('sleep', ['30']);
      sleeper.terminate();
      expect(await sleeper.wait()).toBe(-15);

      await expect(createSubprocessExec('/nonexistent/evloop-prog')).rejects.toThrow(FileNotFoundError);
      await expect(createSubprocessExec('cat', [], { stdin: STDOUT })).rejects.toThrow(ValueError);
      await expect(createSubprocessExec('cat', [1 as unknown as string])).rejects.toThrow(TypeError);
    });
    loop.close();
  });

  it('connectReadPipe and connectWritePipe over a pipe', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const [r, w] = osPipe();
      const [rt, rp] = await loop.connectReadPipe(() => new Recorder(), r);
      const [wt, wp] = await loop.connectWritePipe(() => new Recorder(), { fileno: () => w });
      expect(rt.getExtraInfo('pipe')).toBe(r);
      expect(wt.canWriteEof()).toBe(true);
      wt.write(Buffer.alloc(1_000_000, 'p'));
      expect(wp.events).toContain('pause');
      wt.writeEof();
      await until('both lost', () => rp.lost && wp.lost);
      expect(rp.received.length).toBe(1_000_000);
      expect(rp.events.slice(-2)).toEqual(['eof', ['lost', null]]);
      expect(wp.events.slice(-2)).toEqual(['resume', ['lost', null]]);
      // The transports closed their fds.
      expect(() => fs.fstatSync(r)).toThrow();

      // The reader going away with bytes buffered: BrokenPipeError.
      const [r2, w2] = osPipe();
      const [wt2, wp2] = await loop.connectWritePipe(() => new Recorder(), w2);
      wt2.write(Buffer.alloc(1_000_000, 'q'));
      fs.closeSync(r2);
      await until('lost', () => wp2.lost);
      expect(wp2.lostWith).toBeInstanceOf(BrokenPipeError);

      // A regular file is refused, and stays open.
      const file = path.join(os.tmpdir(), `evloop-regular-${process.pid}`);
      const fd = fs.openSync(file, 'w');
      await expect(loop.connectWritePipe(() => new Recorder(), fd)).rejects.toThrow(ValueError);
      expect(() => fs.fstatSync(fd)).not.toThrow();
      fs.closeSync(fd);
      fs.rmSync(file);
    });
    loop.close();
  });

  it('coexists with node:child_process in the same process', async () => {
    const loop = makeLoop(kind);
    await inLoop(loop, async () => {
      const node = new Promise<[string, number | null]>((resolve) => {
        const c = spawn('sh', ['-c', 'sleep 0.2; echo from-node']);
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.on('close', (code) => resolve([out, code]));
      });
      const nodeExec = new Promise<string>((resolve, reject) =>
        execFile('sh', ['-c', 'echo exec-file'], (e, stdout) => (e ? reject(e) : resolve(stdout))),
      );
      const ours = await Promise.all(
        Array.from({ length: 20 }, (_, i) => createSubprocessShell(`echo ours-${i}; exit ${i % 3}`, { stdout: PIPE })),
      );
      const results = await Promise.all(ours.map(async (p) => [text(await p.stdout!.read()), await p.wait()] as const));
      results.forEach(([out, code], i) => {
        expect(out).toBe(`ours-${i}\n`);
        expect(code).toBe(i % 3);
      });
      expect(await node).toEqual(['from-node\n', 0]);
      expect(await nodeExec).toBe('exec-file\n');
    });
    loop.close();
  });
});

describe('bad input names the call and the argument', () => {
  it('rejects with clear errors', async () => {
    const loop = makeLoop();
    await inLoop(loop, async () => {
      const f = () => new ProcRecorder();
      await expect(loop.subprocessExec(f, 42 as unknown as string)).rejects.toThrow('subprocessExec(): program must be a string, got number');
      await expect(loop.subprocessExec(f, 'true', 'x' as unknown as string[])).rejects.toThrow('subprocessExec(): args must be an array of strings');
      await expect(loop.subprocessExec(f, 'true', [], { stdout: -7 })).rejects.toThrow(ValueError);
      await expect(loop.subprocessExec(f, 'true', [], { stdout: 1.5 })).rejects.toThrow('subprocessExec(): stdout must be PIPE, DEVNULL, STDOUT, an fd or null, got 1.5');
      await expect(loop.subprocessExec(f, 'true', [], { env: { A: 1 as unknown as string } })).rejects.toThrow('subprocessExec(): env.A must be a string');
      await expect(loop.subprocessExec(null as unknown as () => ProcRecorder, 'true')).rejects.toThrow(TypeError);
      await expect(loop.subprocessShell(f, ['ls'] as unknown as string)).rejects.toThrow('subprocessShell(): cmd must be a string');
      await expect(loop.connectReadPipe(() => new Recorder(), -1)).rejects.toThrow('connectReadPipe(): pipe must be an fd');
      const notOpen = await loop.connectWritePipe(() => new Recorder(), 987654).then(() => null, (e: unknown) => e);
      expect((notOpen as { code?: string }).code).toBe('EBADF');
      const p = await createSubprocessExec('true');
      await p.wait();
      expect(() => p.sendSignal('SIGNOPE')).toThrow("sendSignal(): unknown signal name 'SIGNOPE'");
    });
    loop.close();
  });
});
