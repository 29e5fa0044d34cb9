/** Child processes and ports for the tests of the template's scripts. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Running {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output: () => string;
  /** Resolves with the output once `pattern` appears in it; rejects after `timeoutMs` or if it exits first. */
  waitFor: (pattern: RegExp | string, timeoutMs?: number) => Promise<string>;
  /** Resolves with the exit code (or signal) once it exits. */
  exited: Promise<number | string>;
  stop: (signal?: NodeJS.Signals) => Promise<number | string>;
}

/** Starts `node <args>`, collecting its output. */
export function startNode(args: string[], options: { cwd: string; env: Record<string, string | undefined> }): Running {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => {
    resolve(code ?? signal ?? -1);
    for (const l of listeners) l();
  }));
  const waitFor = (pattern: RegExp | string, timeoutMs = 60_000) => new Promise<string>((resolve, reject) => {
    const matches = () => (typeof pattern === 'string' ? output.includes(pattern) : pattern.test(output));
    const check = () => {
      if (matches()) {
        done();
        resolve(output);
      } else if (child.exitCode !== null || child.signalCode !== null) {
        done();
        reject(new Error(`exited before printing ${pattern}:\n${output}`));
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      listeners.delete(check);
    };
    listeners.add(check);
    check();
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return { child, output: () => output, waitFor, exited, stop };
}
