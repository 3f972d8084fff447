import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * The README's shell blocks, and a bash session that runs them one after the other as a newcomer pasting
 * them into one terminal would (test/readme/readme.test.ts).
 */

/** The comment that keeps the next block out of the README test; its text must say why. */
export const NOT_RUN_MARKER = /<!--\s*not run by the README test:\s*([^>]*?)\s*-->\s*$/;

export interface ShellBlock {
  /** 1-based line of the opening fence in README.md. */
  line: number;
  code: string;
  /** Why the README says this block is not run, when it is marked. */
  notRun?: string;
}

/** Every ```bash / ```sh / ```shell block, with the "not run" marker of the line just before it, if any. */
export function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  let previous = '';
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!fence) {
      if (lines[i]!.trim() !== '') previous = lines[i]!;
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    if (['bash', 'sh', 'shell'].includes(fence[1]!)) {
      const marker = NOT_RUN_MARKER.exec(previous);
      blocks.push({ line: start + 1, code: body.join('\n'), ...(marker ? { notRun: marker[1]! } : {}) });
    }
    previous = '';
  }
  return blocks;
}

/** A free loopback port (closed again before it is handed to the server that will bind it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface BlockRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * One bash process for the whole walk-through: variables set by one block are seen by the next. Each block
 * runs with stdin from /dev/null (so nothing it starts can swallow the following blocks), and an ERR trap
 * reports every command that fails, not only the block's last one.
 */
export class ShellSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private stdout = '';
  private stderr = '';
  private count = 0;
  private exited = false;

  /** Called on every chunk of output and on exit: the pending `run` checks whether its block is done. */
  private onChange: () => void = () => undefined;

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    this.child = spawn('bash', ['--noprofile', '--norc'], { cwd, env });
    this.child.stdout.on('data', (c: Buffer) => {
      this.stdout += c.toString('utf8');
      this.onChange();
    });
    this.child.stderr.on('data', (c: Buffer) => {
      this.stderr += c.toString('utf8');
      this.onChange();
    });
    this.child.once('exit', () => {
      this.exited = true;
      this.onChange();
    });
    this.child.stdin.write(`trap 'echo "failed (exit $?): $BASH_COMMAND" >&2' ERR\n`);
  }

  async run(code: string, timeoutMs: number): Promise<BlockRun> {
    if (this.exited) throw new Error('bash has exited: an earlier block ended the session');
    const id = `__README_BLOCK_${++this.count}_DONE__`;
    this.stdout = '';
    this.stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.onChange = () => undefined;
        reject(new Error(`the block did not finish in ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`));
      }, timeoutMs);
      this.onChange = () => {
        if (this.stdout.includes(`${id} `) && this.stderr.includes(id)) {
          clearTimeout(timer);
          this.onChange = () => undefined;
          resolve();
        } else if (this.exited) {
          clearTimeout(timer);
          this.onChange = () => undefined;
          reject(new Error(`bash exited during the block:\n${this.stdout}\n${this.stderr}`));
        }
      };
      // `$?` right after the group is the block's last command's status.
      this.child.stdin.write(
        `{\n${code}\n} </dev/null\nprintf '\\n${id} %s\\n' "$?"\nprintf '\\n${id}\\n' >&2\n`,
      );
    });
    const status = new RegExp(`\\n?${id} (\\d+)\\n`).exec(this.stdout)!;
    return {
      exitCode: Number(status[1]),
      stdout: this.stdout.slice(0, status.index),
      stderr: this.stderr.slice(0, this.stderr.indexOf(id)).replace(/\n$/, ''),
    };
  }

  close(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.stdin.end('exit 0\n');
    });
  }
}
