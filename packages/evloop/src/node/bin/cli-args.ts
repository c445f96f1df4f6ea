// The command line of evloop-sim: options among positional arguments, and the
// usage error every bad argument becomes (exit 2, no stack).

/** A bad command line or input file: `evloop-sim <command>: <message>`, exit 2, no stack. */
export class UsageError extends Error {
  /** The command whose usage follows the message (none: the whole usage). */
  readonly command: string | undefined;
  constructor(command: string | undefined, message: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

/** How an option is read: `flag` takes no value, `int` an integer >= 0, `text` anything. */
export type OptionKind = 'flag' | 'int' | 'text';

/** The value each kind of option gives. */
type ValueOf<K extends OptionKind> = K extends 'flag' ? true : K extends 'int' ? number : string;

export type Flags<S extends Record<string, OptionKind>> = { [N in keyof S]?: ValueOf<S[N]> };

function intArg(command: string, name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0) {
    throw new UsageError(command, `--${name} needs an integer >= 0, got '${value}'`);
  }
  return n;
}

/** `--name value` (or `--name=value`) and `--flag` options among the positional arguments. */
export function parseArgs<S extends Record<string, OptionKind>>(
  command: string,
  argv: string[],
  spec: S,
): { positional: string[]; flags: Flags<S> } {
  const positional: string[] = [];
  const flags: Record<string, string | number | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) throw new UsageError(command, `unknown option --${name}`);
    if (kind === 'flag') {
      if (eq >= 0) throw new UsageError(command, `--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(command, `--${name} needs a value`);
    flags[name] = kind === 'int' ? intArg(command, name, value) : value;
  }
  return { positional, flags: flags as Flags<S> };
}

/** The positional arguments, exactly as many as `names` (`<trace.json>`, ...). */
export function positionals(command: string, positional: string[], names: string[]): string[] {
  if (positional.length !== names.length) {
    const got = positional.length === 0 ? 'none' : positional.map((p) => `'${p}'`).join(' ');
    throw new UsageError(command, `expected ${names.join(' ')}, got ${got}`);
  }
  return positional;
}
