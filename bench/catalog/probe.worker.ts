/**
 * The availability probe and RSS sampler, in a worker thread so that nothing the runner does
 * on its own thread (parsing, JSON, GC) delays a probe request: see probe.ts.
 *
 * Every `intervalMs` while active it sends, for the tick's due time, one GET of an entity by
 * name and one health GET, without waiting for earlier ones; it records when each was due,
 * sent and answered. Every `rssEveryMs`, active or not, it reads VmRSS of the server's pid.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

export interface ProbeRecord {
  /** 0: entity by name, 1: health. */
  kind: 0 | 1;
  due: number;
  sent: number;
  /** When the answer (or the error) arrived; undefined while in flight. */
  done?: number;
  /** HTTP status, 0 for a network error or timeout. */
  status: number;
  /**
   * A readiness 503 that says the server is still starting (its start hooks, the first
   * catalog read among them, have not finished): an answer, not a failure.
   */
  starting?: boolean;
  error?: string;
}

export interface RssSample {
  t: number;
  pid: number;
  rssMB: number;
}

export type ToWorker =
  | { type: 'target'; pid: number; urls: [string, string] }
  | { type: 'probe'; on: boolean }
  | { type: 'dump' }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'dump'; at: number; requests: ProbeRecord[]; rss: RssSample[] };

const { intervalMs, rssEveryMs, requestTimeoutMs } = workerData as {
  intervalMs: number;
  rssEveryMs: number;
  requestTimeoutMs: number;
};
const clock = () => performance.timeOrigin + performance.now();

let urls: [string, string] | undefined;
let pid = 0;
let active = false;
let next = 0;
let timer: NodeJS.Timeout | undefined;
const requests: ProbeRecord[] = [];
const rss: RssSample[] = [];
let errorsKept = 0;

function send(kind: 0 | 1, due: number) {
  if (!urls) return;
  const record: ProbeRecord = { kind, due, sent: clock(), status: 0 };
  requests.push(record);
  fetch(urls[kind], { signal: AbortSignal.timeout(requestTimeoutMs) })
    .then(async (res) => {
      const body = await res.text();
      record.status = res.status;
      if (kind === 1 && res.status === 503 && body.includes('is starting')) record.starting = true;
    })
    .catch((error: Error) => {
      if (errorsKept++ < 50) record.error = `${error.name}: ${error.message}`;
    })
    .finally(() => {
      record.done = clock();
    });
}

function tick() {
  timer = undefined;
  if (!active) return;
  const t = clock();
  // Every tick that came due gets its requests, late ones with their original due time.
  while (next <= t) {
    send(0, next);
    send(1, next);
    next += intervalMs;
  }
  timer = setTimeout(tick, Math.max(0, next - clock()));
}

function sampleRss() {
  if (!pid) return;
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) rss.push({ t: clock(), pid, rssMB: Number(m[1]) / 1024 });
  } catch {
    // the process is gone (between a stop and the next start)
  }
}
const rssTimer = setInterval(sampleRss, rssEveryMs);

parentPort!.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'target':
      pid = message.pid;
      urls = message.urls;
      sampleRss();
      break;
    case 'probe':
      if (message.on && !active) {
        active = true;
        next = clock();
        tick();
      } else if (!message.on) {
        active = false;
        if (timer) clearTimeout(timer);
        timer = undefined;
      }
      break;
    case 'dump':
      parentPort!.postMessage({ type: 'dump', at: clock(), requests, rss } satisfies FromWorker);
      break;
    case 'stop':
      active = false;
      if (timer) clearTimeout(timer);
      clearInterval(rssTimer);
      parentPort!.close();
      break;
  }
});
parentPort!.postMessage({ type: 'ready' } satisfies FromWorker);
