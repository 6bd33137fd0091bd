import cliProgress from 'cli-progress';

/** A progress bar on a terminal; plain periodic lines elsewhere (CI logs, pipes). */
export function createProgress(label: string) {
  if (!process.stderr.isTTY) {
    let last = 0;
    return {
      update(done: number, detail: string) {
        const now = Date.now();
        if (now - last > 2000) {
          last = now;
          process.stderr.write(`${label}: ${done} ${detail}\n`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {bar} {value} files | {detail}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done: number, detail: string) {
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
    },
  };
}
