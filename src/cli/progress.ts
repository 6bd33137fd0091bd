import cliProgress from 'cli-progress';

export interface Progress {
  /** `files` done so far; `detail` says what (a file, "12 entities, file"). */
  update(files: number, detail: string): void;
  stop(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Most often a line is written where there is no terminal. */
  intervalMs?: number;
  now?: () => number;
}

/** Longest line written where there is no terminal: one write of it stays whole in a pipe. */
const MAX_LINE = 200;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `detail` cut from the left (a long path keeps its file name) so the line fits. */
function fitLine(prefix: string, detail: string): string {
  const room = MAX_LINE - prefix.length;
  if (detail.length <= room) return `${prefix}${detail}`;
  return `${prefix}…${detail.slice(detail.length - room + 1)}`;
}

/**
 * A progress bar on a terminal. Elsewhere (CI logs, pipes, files) whole lines only, each in
 * one write: one when work starts, at most one per `intervalMs` while it goes on, and one at
 * the end; the bar's carriage returns would leave half-lines glued to the next output there.
 */
export function createProgress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (!stream.isTTY || process.env.TERM === 'dumb') {
    const now = options.now ?? Date.now;
    const interval = options.intervalMs ?? 2000;
    let started: number | undefined;
    let last = 0;
    let done = 0;
    return {
      update(files, detail) {
        done = files;
        const at = now();
        if (started === undefined) {
          started = at;
          last = at;
          stream.write(`${fitLine(`${label}: started, `, detail)}\n`);
        } else if (at - last >= interval) {
          last = at;
          stream.write(`${fitLine(`${label}: ${plural(files, 'file')}, `, detail)}\n`);
        }
      },
      stop() {
        if (started === undefined) return;
        const seconds = ((now() - started) / 1000).toFixed(1);
        stream.write(`${label}: done, ${plural(done, 'file')} in ${seconds} s\n`);
        started = undefined;
      },
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {bar} {value} files | {detail}`,
      stream,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, detail) {
      // The total is unknown until Location entities are followed; grow it as files appear.
      if (!started) {
        bar.start(Math.max(done, 1), done, { detail });
        started = true;
      }
      if (done > bar.getTotal()) bar.setTotal(done + Math.ceil(done / 2));
      bar.update(done, { detail });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
