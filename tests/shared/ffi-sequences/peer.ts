// The protocol side of the random call sequences: a protocol that checks the
// contract every transport owes it (connectionMade first and once, nothing
// after connectionLost, connectionLost at most once) and misbehaves on
// purpose inside its callbacks, in the orders nobody writes by hand: close or
// abort inside dataReceived and write after it, writeEof then write, pause
// and resume reading again and again. Browser-safe.
import type { ConfLoop, ConfProtocol, ConfTransport } from '../conformance/kit.js';

/** What a protocol does when data arrives (and, for some, when it is connected). */
export const BEHAVIORS = [
  'quiet',
  'echo',
  'closeInData',
  'abortInData',
  'writeEofInData',
  'pauseInData',
  'pauseInMade',
  'closeInMade',
] as const;
export type Behavior = (typeof BEHAVIORS)[number];

/** Where a peer reports what it saw: the sequence's world. */
export interface Witness {
  /** Records a broken rule (the property fails on any). */
  violation(what: string): void;
  /** Runs `fn`; an error it throws must be one of the package's classes. Returns the error. */
  attempt(label: string, fn: () => unknown): unknown;
  /** Whether `e` is an instance of one of the package's error classes. */
  isPackageError(e: unknown): boolean;
  RuntimeError: abstract new (...args: never[]) => Error;
}

export type PeerEvent = 'made' | 'data' | 'eof' | 'lost' | 'pause' | 'resume';

export class Peer implements ConfProtocol {
  transport: ConfTransport | null = null;
  readonly events: PeerEvent[] = [];

  constructor(
    readonly label: string,
    readonly behavior: Behavior,
    private readonly loop: ConfLoop,
    private readonly w: Witness,
  ) {}

  get lost(): boolean {
    return this.events.includes('lost');
  }

  private note(ev: PeerEvent): void {
    if (this.lost) this.w.violation(`${this.label}: ${ev} after connectionLost`);
    if (ev === 'made' && this.events.length > 0) this.w.violation(`${this.label}: connectionMade after ${this.events.join(',')}`);
    if (ev !== 'made' && this.events[0] !== 'made') this.w.violation(`${this.label}: ${ev} before connectionMade`);
    this.events.push(ev);
  }

  connectionMade(t: ConfTransport): void {
    this.note('made');
    this.transport = t;
    if (this.behavior === 'pauseInMade') {
      this.w.attempt(`${this.label} pauseReading in connectionMade`, () => t.pauseReading());
      this.loop.callSoon(() => this.w.attempt(`${this.label} resumeReading`, () => t.resumeReading()));
    } else if (this.behavior === 'closeInMade') {
      this.w.attempt(`${this.label} close in connectionMade`, () => t.close());
      this.w.attempt(`${this.label} write after close`, () => t.write(new Uint8Array(3)));
    }
  }

  dataReceived(data: Uint8Array): void {
    this.note('data');
    if (!(data instanceof Uint8Array) || data.length === 0) this.w.violation(`${this.label}: dataReceived got ${String(data)}`);
    const t = this.transport;
    if (t === null) return;
    const at = `${this.label} in dataReceived`;
    switch (this.behavior) {
      case 'echo':
        this.w.attempt(`${at}: write`, () => t.write(data));
        break;
      case 'closeInData':
        this.w.attempt(`${at}: close`, () => t.close());
        this.w.attempt(`${at}: write after close`, () => t.write(data));
        this.w.attempt(`${at}: close again`, () => t.close());
        break;
      case 'abortInData':
        this.w.attempt(`${at}: abort`, () => t.abort());
        this.w.attempt(`${at}: write after abort`, () => t.write(data));
        this.w.attempt(`${at}: writeEof after abort`, () => t.writeEof());
        break;
      case 'writeEofInData': {
        const closing = t.isClosing();
        if (!t.canWriteEof()) break;
        this.w.attempt(`${at}: writeEof`, () => t.writeEof());
        const err = this.w.attempt(`${at}: write after writeEof`, () => t.write(data));
        // asyncio: write() after write_eof() raises RuntimeError, unless the transport was already closing.
        if (!closing && !(err instanceof this.w.RuntimeError)) {
          this.w.violation(`${at}: write after writeEof did not raise RuntimeError (got ${String(err)})`);
        }
        break;
      }
      case 'pauseInData':
        for (let i = 0; i < 3; i++) this.w.attempt(`${at}: pauseReading`, () => t.pauseReading());
        this.loop.callSoon(() => {
          for (let i = 0; i < 3; i++) this.w.attempt(`${this.label}: resumeReading`, () => t.resumeReading());
        });
        break;
      default:
        break;
    }
  }

  eofReceived(): boolean {
    this.note('eof');
    return false;
  }

  connectionLost(exc: Error | null): void {
    if (this.lost) this.w.violation(`${this.label}: connectionLost twice`);
    this.note('lost');
    if (exc !== null && !this.w.isPackageError(exc)) {
      this.w.violation(`${this.label}: connectionLost with a raw ${exc?.constructor?.name}: ${String(exc)}`);
    }
  }

  pauseWriting(): void {
    this.note('pause');
  }

  resumeWriting(): void {
    this.note('resume');
  }
}
