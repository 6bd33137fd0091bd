import { describe, expect, it } from 'vitest';
import { isHostAllowed } from './allowed-hosts.ts';

describe('isHostAllowed', () => {
  const production = (allowedHosts: string[]) => ({ allowedHosts, environment: 'production' });
  const development = (allowedHosts: string[]) => ({ allowedHosts, environment: 'development' });

  it('accepts listed hosts: without a port on any port, with a port on that port only', () => {
    const options = production(['portal.example.com', 'api.example.com:8443']);
    expect(isHostAllowed('portal.example.com', options)).toBe(true);
    expect(isHostAllowed('Portal.Example.com:7007', options)).toBe(true);
    expect(isHostAllowed('portal.example.com.', options)).toBe(true);
    expect(isHostAllowed('api.example.com:8443', options)).toBe(true);
    expect(isHostAllowed('api.example.com:8444', options)).toBe(false);
    expect(isHostAllowed('api.example.com', options)).toBe(false);
    expect(isHostAllowed('evil.example', options)).toBe(false);
    expect(isHostAllowed('portal.example.com.evil.example', options)).toBe(false);
  });

  it('treats a missing port as the default one for an entry with 80 or 443', () => {
    expect(isHostAllowed('portal.example.com', production(['portal.example.com:443']))).toBe(true);
    expect(isHostAllowed('portal.example.com', production(['portal.example.com:8443']))).toBe(
      false,
    );
  });

  it('accepts subdomains of *.example.com and anything with *', () => {
    expect(isHostAllowed('a.example.com', production(['*.example.com']))).toBe(true);
    expect(isHostAllowed('example.com', production(['*.example.com']))).toBe(false);
    expect(isHostAllowed('whatever:1', production(['*']))).toBe(true);
    expect(isHostAllowed(undefined, production(['*']))).toBe(true);
  });

  it('refuses empty, missing and malformed Host headers', () => {
    const options = development(['portal.example.com']);
    for (const host of [undefined, '', ' ', 'a b', 'user@portal.example.com', 'x/y', '*.x.com']) {
      expect(isHostAllowed(host, options), String(host)).toBe(false);
    }
  });

  it('accepts loopback names on any port outside production only', () => {
    for (const host of ['localhost', 'localhost:3000', '127.0.0.1:7007', '[::1]:9', 'LOCALHOST']) {
      expect(isHostAllowed(host, development([])), host).toBe(true);
      expect(isHostAllowed(host, { allowedHosts: [], environment: undefined }), host).toBe(true);
      expect(isHostAllowed(host, production([])), host).toBe(false);
    }
    expect(isHostAllowed('localhost:3000', production(['localhost']))).toBe(true);
    expect(isHostAllowed('127.0.0.2', development([]))).toBe(false);
    expect(isHostAllowed('localhost.attacker.test', development([]))).toBe(false);
  });
});
