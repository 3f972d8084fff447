/** The part of a stream the progress indicator needs; `process.stderr` fits. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Shows `⠋ Refreshing tokens… 3s` on a terminal while `work` runs, then clears the line. On a pipe or a
 * file it writes nothing, so scripts and `--json` consumers see clean output.
 */
export async function withProgress<T>(
  stream: ProgressStream,
  label: string,
  work: () => Promise<T>,
): Promise<T> {
  if (!stream.isTTY) return work();
  const started = Date.now();
  let frame = 0;
  const draw = (): void => {
    const seconds = Math.floor((Date.now() - started) / 1000);
    stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${label}… ${seconds}s`);
  };
  draw();
  const timer = setInterval(draw, 100);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
    stream.write('\r\x1b[2K');
  }
}
