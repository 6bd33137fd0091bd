/** `atrium search reindex`: rebuilds the search index on a running server, with progress. */

interface ReindexLine {
  progress?: { type: string; indexed: number };
  done?: { types: Array<{ type: string; count: number; ms: number }> };
  error?: string;
}

export async function searchReindexCommand(options: {
  server: string;
  type?: string[];
}): Promise<number> {
  const url = `${options.server.replace(/\/$/, '')}/api/search/reindex`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
    body: JSON.stringify(options.type?.length ? { types: options.type } : {}),
  }).catch((error: Error & { cause?: { code?: string } }) => {
    throw new Error(
      `cannot reach ${options.server}: ${error.cause?.code ?? error.message} (is the server running? set --server)`,
    );
  });
  if (!response.ok || !response.body) {
    const text = await response.text();
    let message = `HTTP ${response.status}`;
    try {
      message = JSON.parse(text)?.error?.message ?? message;
    } catch {
      // not JSON: keep the status
    }
    throw new Error(message);
  }
  const tty = process.stderr.isTTY;
  let lastPrinted = 0;
  const progress = (p: { type: string; indexed: number }, force = false) => {
    const now = Date.now();
    if (tty) process.stderr.write(`\r${p.type}: ${p.indexed} documents`);
    else if (force || now - lastPrinted > 2000) {
      lastPrinted = now;
      process.stderr.write(`${p.type}: ${p.indexed} documents\n`);
    }
  };
  const decoder = new TextDecoder();
  let buffer = '';
  let outcome = 1;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      if (!line) continue;
      const event = JSON.parse(line) as ReindexLine;
      if (event.progress) progress(event.progress);
      if (event.done) {
        if (tty) process.stderr.write('\n');
        for (const t of event.done.types)
          process.stdout.write(`Indexed ${t.count} ${t.type} documents in ${t.ms} ms\n`);
        outcome = 0;
      }
      if (event.error) {
        if (tty) process.stderr.write('\n');
        process.stderr.write(`atrium: reindex failed: ${event.error}\n`);
        outcome = 1;
      }
    }
  }
  return outcome;
}
