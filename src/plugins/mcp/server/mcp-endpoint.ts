import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type ActionContext,
  type ActionDefinition,
  AtriumError,
  AuthenticationError,
  type Identity,
  type Logger,
  NotAllowedError,
  type RouteContext,
} from '../../../core/plugin-api.ts';
import { hideInternalError } from '../../../core/http/error-handler.ts';
import { scrubSecrets } from '../../../core/secret-scrub.ts';
import type { ToolRegistry } from './tool-registry.ts';

export const SERVER_INFO = { name: 'atrium', title: 'Atrium developer portal', version: '1.0.0' };

const INSTRUCTIONS =
  "Atrium is an engineering organisation's developer portal: a catalog of its services, APIs, libraries, teams and users (Backstage's entity model: refs like component:default/payments), their docs, scorecards and software templates. Every tool acts with exactly the permissions of the token you connected with; what you may not read is answered as not found.";

/**
 * The MCP SDK (with zod, some 170 modules) is loaded at the first MCP request rather than at
 * every start of a portal that may never get one.
 */
let sdkLoading: Promise<McpSdk> | undefined;
type McpSdk = Awaited<ReturnType<typeof importSdk>>;
async function importSdk() {
  const [server, transport, types] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/index.js'),
    import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]);
  return {
    Server: server.Server,
    WebStandardStreamableHTTPServerTransport: transport.WebStandardStreamableHTTPServerTransport,
    CallToolRequestSchema: types.CallToolRequestSchema,
    ListToolsRequestSchema: types.ListToolsRequestSchema,
  };
}
const loadSdk = (): Promise<McpSdk> => {
  sdkLoading ??= importSdk().catch((error: unknown) => {
    sdkLoading = undefined;
    throw error;
  });
  return sdkLoading;
};

/** Request headers the transport reads; the body is already parsed by the host. */
const FORWARDED = ['accept', 'content-type', 'mcp-protocol-version', 'mcp-session-id'];

/**
 * The caller must have come with a bearer token: an assistant holds a token its person made
 * for it (and may revoke), never the person's browser session, and never the guest.
 */
export function assertBearerCaller(identity: Identity): void {
  if (identity.isGuest) {
    throw new AuthenticationError(
      'The MCP server does not serve the guest: connect with a personal access token (Settings → Tokens) or a static token of backend.auth.externalAccess, sent as Authorization: Bearer <token>',
    );
  }
  if (identity.credential !== 'personal-token' && identity.credential !== 'external') {
    throw new AuthenticationError(
      'The MCP server needs a bearer token (a personal access token from Settings → Tokens, or a static token of backend.auth.externalAccess), sent as Authorization: Bearer <token>; a session cookie is not accepted',
    );
  }
}

function toolOf(action: ActionDefinition): Tool {
  return {
    name: action.id,
    title: action.title,
    description: action.description,
    inputSchema: action.inputSchema as Tool['inputSchema'],
    outputSchema: action.outputSchema as Tool['outputSchema'],
    annotations: {
      title: action.title,
      readOnlyHint: action.hints.readOnlyHint,
      destructiveHint: action.hints.destructiveHint,
      idempotentHint: action.hints.idempotentHint,
      openWorldHint: action.hints.openWorldHint ?? false,
    },
  };
}

/** What an error may tell the assistant: the portal's own errors in full, crashes by id. */
function messageOf(error: unknown, logger: Logger, tool: string): string {
  if (error instanceof AtriumError) return error.message;
  return hideInternalError(logger, 'MCP tool failed', { tool }, error);
}

/**
 * One MCP server per HTTP request (Streamable HTTP, stateless: nothing is kept between
 * requests, so any replica answers any request), answering as this request's caller.
 */
function serverFor(
  { Server, CallToolRequestSchema, ListToolsRequestSchema }: McpSdk,
  registry: ToolRegistry,
  ctx: RouteContext,
  signal: AbortSignal,
  logger: Logger,
): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    instructions: INSTRUCTIONS,
  });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: (await registry.offered(ctx)).map(toolOf),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const { name, arguments: args } = request.params;
    const started = Date.now();
    // As sent: validation fills in defaults.
    const recorded = scrubSecrets(args ?? {});
    const actionCtx: ActionContext = { ...ctx, signal };
    let outcome: 'success' | 'failure' | 'denied' = 'success';
    let result: CallToolResult;
    let error: string | undefined;
    try {
      const output = await registry.call(name, args, actionCtx);
      result = {
        content: [{ type: 'text', text: JSON.stringify(output) }],
        structuredContent: output,
      };
    } catch (caught) {
      outcome = caught instanceof NotAllowedError ? 'denied' : 'failure';
      error = messageOf(caught, logger, name);
      // A failed call is the tool's answer, which the assistant reads and may act on (MCP's
      // advice for tool errors), not a protocol error.
      result = { content: [{ type: 'text', text: error }], isError: true };
    }
    ctx.audit({
      action: 'mcp.tool.call',
      resourceRef: name,
      outcome,
      details: {
        tool: name,
        arguments: recorded,
        ms: Date.now() - started,
        ...(error ? { error } : {}),
      },
    });
    return result;
  });
  return server;
}

/** Answers one POST of the Streamable HTTP transport, in JSON (no stream is needed). */
export async function answerMcpPost(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: RouteContext,
  deps: { registry: ToolRegistry; logger: Logger },
): Promise<unknown> {
  assertBearerCaller(ctx.identity);
  const closed = new AbortController();
  reply.raw.on('close', () => closed.abort());
  const sdk = await loadSdk();
  const server = serverFor(sdk, deps.registry, ctx, closed.signal, deps.logger);
  const transport = new sdk.WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  transport.onerror = (error) => deps.logger.debug('MCP request refused', { error: error.message });
  await server.connect(transport);
  try {
    const headers = new Headers();
    for (const name of FORWARDED) {
      const value = request.headers[name];
      if (typeof value === 'string') headers.set(name, value);
    }
    const response = await transport.handleRequest(
      new Request(`http://atrium.invalid${request.url}`, { method: 'POST', headers }),
      { parsedBody: request.body },
    );
    reply.status(response.status);
    response.headers.forEach((value, name) => {
      reply.header(name, value);
    });
    const text = await response.text();
    return reply.send(text === '' ? undefined : text);
  } finally {
    await server.close();
  }
}

/** GET would open a stream for server-initiated messages, which a stateless server never sends. */
export function answerMcpGet(reply: FastifyReply): unknown {
  return reply
    .status(405)
    .header('allow', 'POST')
    .type('application/json')
    .send({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Method not allowed: this MCP server is stateless; POST' },
      id: null,
    });
}
