// Start `moonkey-mock serve` on a free port for a test run, and drive it through /_mock/.
//
// The binary is MOONKEY_MOCK_BIN (the Makefile points it at the project's virtualenv) or
// `moonkey-mock` on the PATH.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, afterEach, before, beforeEach } from 'node:test';

const READY = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

export async function startFake({ bin = process.env.MOONKEY_MOCK_BIN ?? 'moonkey-mock' } = {}) {
  const child = spawn(bin, ['serve', '--host', '127.0.0.1', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.once('exit', () => child.kill()); // never outlive the test run
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  };
  let timer;
  const ready = new Promise((resolve, reject) => {
    let output = '';
    timer = setTimeout(() => reject(new Error(`${bin} was not ready in 30 s`)), 30000);
    child.once('error', (error) => reject(new Error(`cannot start ${bin}: ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`${bin} exited (${code}) before it was ready`)));
    // Keep reading stdout for the whole run (the fake prints what it "sends" there).
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(READY);
      if (match) resolve(match[1]);
    });
  });
  try {
    const url = await ready;
    const control = controlClient(url);
    await control.call('GET', 'health');
    return { url, control, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

export function controlClient(url) {
  async function call(method, path, body) {
    const response = await fetch(`${url}/_mock/${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error(`${method} /_mock/${path}: ${response.status} ${text}`);
    return data;
  }
  const query = (values) => new URLSearchParams(values).toString();
  return {
    call,
    createApp: (settings = {}) => call('POST', 'apps', settings),
    deleteApp: (appId) => call('DELETE', `apps/${appId}`),
    advance: (amounts) => call('POST', 'clock/advance', amounts),
    freeze: () => call('POST', 'clock/freeze'),
    resetClock: () => call('POST', 'clock/reset'),
    failNext: (appId, operationId, status = 503) =>
      call('POST', 'faults', { app_id: appId, operation_id: operationId, action: 'error', status, times: 1 }),
    mintSession: (appId, email, extra = {}) => call('POST', 'sessions', { app_id: appId, email, ...extra }),
    async lastCode(appId, email) {
      const found = await call('GET', `outbox?${query({ app_id: appId, to: email, kind: 'otp', wait: 5 })}`);
      return found.messages[0].code;
    },
    async calls(appId, operationId) {
      const found = await call('GET', `requests?${query({ app_id: appId, operation_id: operationId, count: 'true' })}`);
      return found.count;
    },
  };
}

// Register node:test hooks: one fake for the file and, per test, a fresh app on it with the
// Express app (made by `createApp({ apiUrl, secretKey })`) listening on a free port. Returns the
// live context: `fake` (url, control), `appId` (this test's app) and `base` (the Express URL).
export function useAppOnFake(createApp) {
  const ctx = {};
  let server;
  before(async () => {
    ctx.fake = await startFake();
  });
  after(async () => {
    await ctx.fake?.stop();
  });
  beforeEach(async () => {
    const created = await ctx.fake.control.createApp();
    ctx.appId = created.app_id;
    server = createApp({ apiUrl: ctx.fake.url, secretKey: created.secret_key }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    ctx.base = `http://127.0.0.1:${server.address().port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await ctx.fake.control.resetClock();
    await ctx.fake.control.deleteApp(ctx.appId);
  });
  return ctx;
}
