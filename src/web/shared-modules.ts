import * as ReactQuery from '@tanstack/react-query';
import * as React from 'react';
import * as ReactDom from 'react-dom';
import * as JsxRuntime from 'react/jsx-runtime';
import * as ReactRouterDom from 'react-router-dom';
import {
  SHARED_MODULES_GLOBAL,
  type WebSharedModuleName,
} from '../plugins/plugin-manager/common/web-shared-modules.ts';
import * as PluginApi from './plugin-api.ts';

/**
 * The shell's own instances of the shared modules. Namespace imports keep every export (a
 * plugin may use a hook the shell does not), which costs the initial bundle some kilobytes:
 * test/web-initial-size.test.ts keeps the total in check.
 */
const SHARED: Record<WebSharedModuleName, unknown> = {
  react: React,
  'react/jsx-runtime': JsxRuntime,
  'react-dom': ReactDom,
  'react-router-dom': ReactRouterDom,
  '@tanstack/react-query': ReactQuery,
  '@atrium/web-plugin-api': PluginApi,
};

/** Publishes the shared modules for plugin bundles; must run before the first bundle loads. */
export function installSharedModules(): void {
  const key = Symbol.for(SHARED_MODULES_GLOBAL);
  if (key in globalThis) return;
  Object.defineProperty(globalThis, key, {
    value: Object.freeze({ ...SHARED }),
    configurable: false,
    writable: false,
  });
}
