// The directory a user ran `evloop-sim` in, which relative paths on its
// command line (program modules, trace files, --out) are relative to.
//
// Usually the process's cwd. But a package manager may start a bin in a
// project's directory rather than the caller's: `pnpm -C <dir> exec`,
// `pnpm --filter <pkg> exec` and `pnpm -w exec` start it in that project's
// directory and say nothing of where the user was, though the shell's `PWD`
// (inherited, and not updated by a spawn's cwd) still names it; `npm run` and
// `pnpm run` scripts start in the package's directory and set `INIT_CWD` to
// the caller's. Both variables are inherited by everything a script starts,
// so they are believed only where a package manager can have moved the
// process: when the cwd is a project's directory (it holds a package.json).
// Plain `pnpm exec` from a subdirectory keeps the cwd, which then wins. Where a
// package manager starts the bin through a shell shim (pnpm's `node_modules/.bin`
// scripts), the shell resets `PWD` to the cwd, so after `pnpm -C <dir> exec` the
// caller's directory is lost: pass absolute paths there.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

const isDir = (path: string | undefined): path is string => {
  if (path === undefined || !isAbsolute(path)) return false;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** The caller's directory (see above); `env` and `cwd` default to the process's. */
export function callerDir(env: Record<string, string | undefined> = process.env, cwd: string = process.cwd()): string {
  if (!existsSync(join(cwd, 'package.json'))) return cwd;
  if (isDir(env.INIT_CWD)) return env.INIT_CWD;
  if (env.npm_command === 'exec' && isDir(env.PWD)) return env.PWD;
  return cwd;
}
