import {
  actionsRegistryExtensionPoint,
  definePlugin,
  NotFoundError,
  type PluginDefinition,
} from '../../../core/plugin-api.ts';
import { answerMcpGet, answerMcpPost } from './mcp-endpoint.ts';
import { ToolRegistry } from './tool-registry.ts';

/**
 * The MCP server (Model Context Protocol, Streamable HTTP transport, stateless) at `/api/mcp`:
 * the actions every plugin contributes to `actions.registry`, as tools for AI assistants that
 * connect with a bearer token. Each request acts as its caller, with that caller's permissions;
 * every tool call is audited.
 */
export function mcpPlugin(): PluginDefinition {
  return definePlugin({
    id: 'mcp',
    setup(env) {
      const { config, logger } = env;
      const registry = new ToolRegistry(env.extensions(actionsRegistryExtensionPoint), {
        destructiveTools: () => config.mcp.destructiveTools,
      });
      const enabled = () => {
        if (!config.mcp.enabled) {
          throw new NotFoundError(
            'The MCP server is turned off on this server (mcp.enabled: false)',
          );
        }
      };
      const body = { anyOf: [{ type: 'object' }, { type: 'array' }] };
      const noQuery = { type: 'object', properties: {}, additionalProperties: false };
      env.route({
        method: 'POST',
        url: '/',
        // Each tool declares its permissions, checked when it is listed and when it is called.
        permission: null,
        // Every tool call is audited by the server itself, with its tool and outcome; the
        // request as such (a listing, a handshake) changes nothing.
        changesNothing: true,
        schema: { body, querystring: noQuery },
        async handler(request, reply, ctx) {
          enabled();
          return answerMcpPost(request, reply, ctx, { registry, logger });
        },
      });
      env.route({
        method: 'GET',
        url: '/',
        permission: null,
        schema: { querystring: noQuery },
        async handler(_request, reply) {
          enabled();
          return answerMcpGet(reply);
        },
      });
    },
  });
}
