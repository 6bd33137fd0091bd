/**
 * "The server never stops answering": a probe that asks an entity by name and a health
 * endpoint every 100 ms during named phases (start, first ingest, re-read, reindex, docs
 * start-up, …) and reports per phase the worst time between a request being due and its
 * answer, and RSS sampled every 500 ms throughout. The requests and the sampling run in a
 * worker thread (probe.worker.ts); phases are marked here, on the runner's thread.
 *
 * The default health request is Backstage's readiness probe (`/.backstage/health/v1/readiness`,
 * a tiny query through the read pool); it answers 503 "Atrium is starting" until start-up (the
 * first catalog read included) has finished: an answer for the gap, counted in `starting`, not
 * in `errors`; any other 503 is an error.
 */
import { Worker } from 'node:worker_threads';
import { clock, percentile, round, type Server } from './harness.ts';
import type { FromWorker, ProbeRecord, RssSample, ToWorker } from './probe.worker.ts';

export const DEFAULT_HEALTH_PATH = '/.backstage/health/v1/readiness';

export interface Phase {
  name: string;
  start: number;
  end?: number;
  probe: boolean;
}

export interface ProbeStats {
  /** Requests due in the phase (two per tick: by name and health). */
  requests: number;
  /** Network errors, timeouts and 5xx answers (but readiness's "starting"). */
  errors: number;
  /** Readiness answers of 503 "Atrium is starting". */
  starting: number;
  /** 4xx answers (a by-name 404 while the entity is not ingested yet is still an answer). */
  non2xx: number;
  /** Requests still unanswered when the results were read (counted up to then). */
  unanswered: number;
  p50: number;
  p99: number;
  /** The worst gap: largest (answer − due) of any request due in the phase, ms. */
  worstMs: number;
  worstByNameMs: number;
  worstHealthMs: number;
  /** When (ms after the phase started) the worst request was due, and which it was. */
  worstAt: { offsetMs: number; kind: 'by-name' | 'health'; status: number; error?: string };
  /** Longest time in the phase without any answer arriving, ms. */
  maxSilenceMs: number;
  /** A few sample errors. */
  errorSamples: string[];
}

export interface PhaseResult {
  name: string;
  /** ms since the run started. */
  startMs: number;
  durationMs: number;
  rssMaxMB?: number;
  probe?: ProbeStats;
}

export interface MonitorReport {
  phases: PhaseResult[];
  /** Over every probe phase. */
  probeOverall?: ProbeStats;
  rssMaxMB?: number;
  rssSamples: number;
  /** Worst gap target, ms. */
  targetMs: number;
}

export interface MonitorOptions {
  intervalMs?: number;
  rssEveryMs?: number;
  requestTimeoutMs?: number;
  healthPath?: string;
}

/** Starts a worker from a .ts file when this module runs through tsx (Node 20 workers ignore --import). */
function tsWorker(file: URL, workerData: unknown): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}

export class Monitor {
  readonly phases: Phase[] = [];
  readonly startedAt = clock();
  private openProbePhases = 0;
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private readonly healthPath: string;

  constructor(options: MonitorOptions = {}) {
    this.healthPath = options.healthPath ?? DEFAULT_HEALTH_PATH;
    this.worker = tsWorker(new URL('./probe.worker.ts', import.meta.url), {
      intervalMs: options.intervalMs ?? 100,
      rssEveryMs: options.rssEveryMs ?? 500,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    });
    this.worker.unref();
    this.ready = new Promise((resolveReady, reject) => {
      const onMessage = (m: FromWorker) => {
        if (m.type === 'ready') {
          this.worker.off('message', onMessage);
          resolveReady();
        }
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', reject);
    });
  }

  /** Resolves once the worker runs (start it before the first server, so no phase waits on it). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  private post(message: ToWorker) {
    this.worker.postMessage(message);
  }

  /** Points the probe and the RSS sampler at a (new) server process. */
  async target(server: Server, byName: { kind: string; namespace: string; name: string }) {
    await this.ready;
    const byNameUrl = `${server.base}/api/catalog/entities/by-name/${encodeURIComponent(byName.kind.toLowerCase())}/${encodeURIComponent(byName.namespace)}/${encodeURIComponent(byName.name)}`;
    this.post({
      type: 'target',
      pid: server.pid,
      urls: [byNameUrl, `${server.base}${this.healthPath}`],
    });
  }

  /** Opens a phase; with `probe` the probe runs until the phase ends. */
  begin(name: string, probe: boolean): Phase {
    const phase: Phase = { name, start: clock(), probe };
    this.phases.push(phase);
    if (probe && this.openProbePhases++ === 0) this.post({ type: 'probe', on: true });
    return phase;
  }

  end(phase: Phase) {
    if (phase.end !== undefined) return;
    phase.end = clock();
    if (phase.probe && --this.openProbePhases === 0) this.post({ type: 'probe', on: false });
  }

  /** Runs `fn` as a phase. */
  async phase<T>(name: string, probe: boolean, fn: (phase: Phase) => Promise<T>): Promise<T> {
    const p = this.begin(name, probe);
    try {
      return await fn(p);
    } finally {
      this.end(p);
    }
  }

  async dump(): Promise<{ at: number; requests: ProbeRecord[]; rss: RssSample[] }> {
    await this.ready;
    return new Promise((resolveDump) => {
      const onMessage = (m: FromWorker) => {
        if (m.type === 'dump') {
          this.worker.off('message', onMessage);
          resolveDump(m);
        }
      };
      this.worker.on('message', onMessage);
      this.post({ type: 'dump' });
    });
  }

  async report(targetMs = 250): Promise<MonitorReport> {
    const d = await this.dump();
    for (const p of this.phases) p.end ??= d.at;
    const phases = this.phases.map((p): PhaseResult => {
      const rss = d.rss.filter((s) => s.t >= p.start && s.t <= p.end!);
      const result: PhaseResult = {
        name: p.name,
        startMs: round(p.start - this.startedAt, 0),
        durationMs: round(p.end! - p.start, 0),
        ...(rss.length ? { rssMaxMB: round(Math.max(...rss.map((s) => s.rssMB)), 0) } : {}),
      };
      if (p.probe) {
        const reqs = d.requests.filter((r) => r.due >= p.start && r.due <= p.end!);
        result.probe = probeStats(reqs, [[p.start, p.end!]], d.at);
      }
      return result;
    });
    const windows = this.phases
      .filter((p) => p.probe)
      .map((p) => [p.start, p.end!] as [number, number]);
    const inAny = d.requests.filter((r) => windows.some(([a, b]) => r.due >= a && r.due <= b));
    return {
      phases,
      ...(windows.length ? { probeOverall: probeStats(inAny, windows, d.at) } : {}),
      ...(d.rss.length
        ? {
            rssMaxMB: round(
              d.rss.reduce((m, s) => Math.max(m, s.rssMB), 0),
              0,
            ),
          }
        : {}),
      rssSamples: d.rss.length,
      targetMs,
    };
  }

  async stop() {
    await this.worker.terminate();
  }
}

function isError(r: ProbeRecord): boolean {
  return (r.status === 0 || r.status >= 500) && !r.starting;
}

function probeStats(reqs: ProbeRecord[], windows: Array<[number, number]>, at: number): ProbeStats {
  const lat = (r: ProbeRecord) => (r.done ?? at) - r.due;
  const latencies = reqs.map(lat).sort((a, b) => a - b);
  let worst: ProbeRecord | undefined;
  for (const r of reqs) if (!worst || lat(r) > lat(worst)) worst = r;
  const worstOf = (kind: 0 | 1) =>
    round(
      reqs.filter((r) => r.kind === kind).reduce((m, r) => Math.max(m, lat(r)), 0),
      0,
    );
  // Longest stretch of a window with no answer arriving.
  let maxSilence = 0;
  const answers = reqs
    .filter((r) => r.done !== undefined && r.status !== 0)
    .map((r) => r.done!)
    .sort((a, b) => a - b);
  for (const [a, b] of windows) {
    let prev = a;
    for (const t of answers) {
      if (t < a || t > b) continue;
      maxSilence = Math.max(maxSilence, t - prev);
      prev = t;
    }
    maxSilence = Math.max(maxSilence, Math.min(b, at) - prev);
  }
  const window = worst ? windows.find(([a, b]) => worst!.due >= a && worst!.due <= b) : undefined;
  return {
    requests: reqs.length,
    errors: reqs.filter((r) => r.done !== undefined && isError(r)).length,
    starting: reqs.filter((r) => r.starting).length,
    non2xx: reqs.filter((r) => r.status >= 300 && r.status < 500).length,
    unanswered: reqs.filter((r) => r.done === undefined).length,
    p50: latencies.length ? round(percentile(latencies, 0.5), 1) : 0,
    p99: latencies.length ? round(percentile(latencies, 0.99), 1) : 0,
    worstMs: round(latencies[latencies.length - 1] ?? 0, 0),
    worstByNameMs: worstOf(0),
    worstHealthMs: worstOf(1),
    worstAt: {
      offsetMs: worst && window ? round(worst.due - window[0], 0) : 0,
      kind: worst?.kind === 1 ? 'health' : 'by-name',
      status: worst?.status ?? 0,
      ...(worst?.error ? { error: worst.error } : {}),
    },
    maxSilenceMs: round(maxSilence, 0),
    errorSamples: [
      ...new Set(reqs.filter(isError).map((r) => r.error ?? `HTTP ${r.status}`)),
    ].slice(0, 3),
  };
}

/** Markdown rows: one per phase (with its probe figures and RSS), then the overall one. */
export function probeTable(report: MonitorReport, judge: (ok: boolean) => string): string {
  const head =
    '| phase | duration s | worst gap ms (by-name / health) | p50 / p99 ms | longest silence ms | requests (errors, 4xx, starting) | worst at | max RSS MB | verdict (< ' +
    report.targetMs +
    ' ms) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n';
  const row = (name: string, duration: string, s: ProbeStats | undefined, rss?: number) =>
    s
      ? `| ${name} | ${duration} | ${s.worstMs} (${s.worstByNameMs} / ${s.worstHealthMs}) | ${s.p50} / ${s.p99} | ${s.maxSilenceMs} | ${s.requests} (${s.errors}, ${s.non2xx}, ${s.starting})${s.unanswered ? `, ${s.unanswered} unanswered` : ''} | +${round(s.worstAt.offsetMs / 1000, 1)} s ${s.worstAt.kind}${s.worstAt.error ? ` (${s.worstAt.error})` : ''} | ${rss ?? 'n/a'} | ${judge(s.worstMs < report.targetMs && s.errors === 0)} |`
      : `| ${name} | ${duration} | (probe off) | | | | | ${rss ?? 'n/a'} | |`;
  const rows = report.phases.map((p) =>
    row(p.name, String(round(p.durationMs / 1000, 2)), p.probe, p.rssMaxMB),
  );
  if (report.probeOverall)
    rows.push(row('**all probe phases**', '', report.probeOverall, report.rssMaxMB));
  return head + rows.join('\n');
}
