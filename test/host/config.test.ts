import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHostConfig } from '../../host/lib/config.mjs';

const root = path.resolve(__dirname, '../..');

describe('simulator configuration', () => {
  it('defaults to port 4000 on localhost, the app on port 3000, data in .data/host', () => {
    const config = parseHostConfig({}, '/repo');
    expect(config).toMatchObject({ port: 4000, hostUrl: 'http://localhost:4000', appUrl: 'http://localhost:3000', dataDir: '/repo/.data/host', defaultSite: 'acme', autoInstall: null });
    expect(config.bind).toEqual(['127.0.0.1', '::1']);
  });

  it('follows HOST_PORT, PORT and the explicit URLs', () => {
    expect(parseHostConfig({ HOST_PORT: '4100', PORT: '3100' }, '/repo')).toMatchObject({ hostUrl: 'http://localhost:4100', appUrl: 'http://localhost:3100' });
    expect(parseHostConfig({ HOST_URL: 'http://127.0.0.1:4100/', APP_URL: 'https://x.ngrok.app/' }, '/repo')).toMatchObject({ hostUrl: 'http://127.0.0.1:4100', appUrl: 'https://x.ngrok.app', bind: ['127.0.0.1'] });
  });

  it('refuses to run in production', () => {
    expect(() => parseHostConfig({ NODE_ENV: 'production' })).toThrow(/NODE_ENV .*refuses to run in production/);
  });

  it('refuses to be reachable from other machines', () => {
    expect(() => parseHostConfig({ HOST_URL: 'http://0.0.0.0:4000' })).toThrow(/HOST_URL must be on a loopback host/);
    expect(() => parseHostConfig({ HOST_URL: 'http://192.168.1.20:4000' })).toThrow(/loopback/);
  });

  it('names the variable that is wrong', () => {
    expect(() => parseHostConfig({ HOST_PORT: 'http' })).toThrow(/^HOST_PORT /);
    expect(() => parseHostConfig({ APP_URL: 'localhost:3000' })).toThrow(/^APP_URL /);
    expect(() => parseHostConfig({ HOST_URL: 'http://localhost:4000/sim' })).toThrow(/^HOST_URL must be an origin/);
    expect(() => parseHostConfig({ HOST_AUTO_INSTALL: 'Not A Site' })).toThrow(/^HOST_AUTO_INSTALL /);
  });

  it('the command refuses to start with NODE_ENV=production, with the reason', () => {
    const run = spawnSync(process.execPath, ['host/cli.mjs'], { cwd: root, env: { ...process.env, NODE_ENV: 'production', HOST_PORT: '4999' }, encoding: 'utf8', timeout: 10_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('refuses to run in production');
  });
});
