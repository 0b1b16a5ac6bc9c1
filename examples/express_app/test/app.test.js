// The Express example against a real `moonkey-mock serve` process (node:test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, REMEMBER_ME_MINUTES } from '../app.js';
import { useAppOnFake } from './moonkey-mock.js';

const ctx = useAppOnFake(createApp);

async function call(method, path, { token, body, userAgent } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers['session-token'] = token;
  if (userAgent) headers['User-Agent'] = userAgent;
  const response = await fetch(ctx.base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function signIn(email, { rememberMe = false, userAgent = 'Laptop browser' } = {}) {
  assert.equal((await call('POST', '/api/login/start', { body: { email } })).status, 200);
  const code = await ctx.fake.control.lastCode(ctx.appId, email);
  const body = { email, code, remember_me: rememberMe };
  const verified = await call('POST', '/api/login/verify', { body, userAgent });
  assert.equal(verified.status, 200);
  return verified.body;
}

test('a valid session reaches the profile', async () => {
  const me = await signIn('ada@example.com');
  const profile = await call('GET', '/api/profile', { token: me.session_token });
  assert.equal(profile.status, 200);
  assert.equal(profile.body.user.email, 'ada@example.com');
});

test('no token or a forged token is 401', async () => {
  assert.equal((await call('GET', '/api/profile')).status, 401);
  assert.equal((await call('GET', '/api/profile', { token: 'forged' })).status, 401);
});

test('a one-day session is over after a day of fake time; remember me lasts 30 days', async () => {
  await ctx.fake.control.freeze(); // both logins at the same instant
  const short = await signIn('ada@example.com');
  const long = await signIn('ada@example.com', { rememberMe: true });
  await ctx.fake.control.advance({ days: 1 });
  assert.equal((await call('GET', '/api/profile', { token: short.session_token })).status, 401);
  assert.equal((await call('GET', '/api/profile', { token: long.session_token })).status, 200);
  assert.equal(long.expires_at - short.expires_at, (REMEMBER_ME_MINUTES - 1440) * 60);
});

test('a minted session ends after 7 days of fake time', async () => {
  const me = await ctx.fake.control.mintSession(ctx.appId, 'ada@example.com');
  assert.equal((await call('GET', '/api/profile', { token: me.session_token })).status, 200);
  await ctx.fake.control.advance({ days: 7 });
  assert.equal((await call('GET', '/api/profile', { token: me.session_token })).status, 401);
});

test('MoonKey answering 503 is the error path, not a logout', async () => {
  const me = await ctx.fake.control.mintSession(ctx.appId, 'ada@example.com');
  await ctx.fake.control.failNext(ctx.appId, 'VerifySession', 503);
  const failed = await call('GET', '/api/profile', { token: me.session_token });
  assert.deepEqual(failed, { status: 500, body: { error: 'Session verification failed' } });
  assert.equal((await call('GET', '/api/profile', { token: me.session_token })).status, 200);
});

test('logout calls DeleteSession once and ends the session', async () => {
  const me = await signIn('ada@example.com');
  assert.equal((await call('POST', '/api/logout', { token: me.session_token })).status, 200);
  assert.equal(await ctx.fake.control.calls(ctx.appId, 'DeleteSession'), 1);
  assert.equal((await call('GET', '/api/profile', { token: me.session_token })).status, 401);
});

test('revoking another device ends that device session only', async () => {
  const phone = await signIn('ada@example.com', { userAgent: 'iPhone Safari' });
  const laptop = await signIn('ada@example.com');
  const listed = await call('GET', '/api/sessions', { token: laptop.session_token });
  const other = listed.body.sessions.find((s) => !s.current);
  assert.equal(other.user_agent, 'iPhone Safari');
  assert.equal(listed.body.sessions.length, 2);
  const revoked = await call('DELETE', `/api/sessions/${other.id}`, { token: laptop.session_token });
  assert.equal(revoked.status, 200);
  assert.equal((await call('GET', '/api/profile', { token: phone.session_token })).status, 401);
  assert.equal((await call('GET', '/api/profile', { token: laptop.session_token })).status, 200);
});
