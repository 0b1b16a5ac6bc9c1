// Wallet login through the Express example, signed by viem (a second language's own wallet
// library), against a real `moonkey-mock serve` process (node:test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';
import { createApp } from '../app.js';
import { useAppOnFake } from './moonkey-mock.js';

const ctx = useAppOnFake(createApp);

async function call(method, path, { token, body } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers['session-token'] = token;
  const response = await fetch(ctx.base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const newAccount = () => privateKeyToAccount(generatePrivateKey());

async function challengeFor(account) {
  const made = await call('POST', '/api/wallet/challenge', { body: { address: account.address } });
  assert.equal(made.status, 200);
  return made.body.challenge;
}

async function siweMessage(account, overrides = {}) {
  const made = await call('POST', '/api/wallet/nonce', { body: { address: account.address } });
  assert.equal(made.status, 200);
  return createSiweMessage({
    address: account.address,
    chainId: 1,
    domain: 'localhost:3000',
    nonce: made.body.nonce,
    uri: 'http://localhost:3000/login',
    version: '1',
    statement: 'Sign in to the Express example',
    ...overrides,
  });
}

test('a wallet signs the challenge and reaches the profile', async () => {
  const account = newAccount();
  const signature = await account.signMessage({ message: await challengeFor(account) });
  const me = await call('POST', '/api/wallet/verify', {
    body: { address: account.address, signature },
  });
  assert.equal(me.status, 200);
  const profile = await call('GET', '/api/profile', { token: me.body.session_token });
  assert.equal(profile.status, 200);
  const [wallet] = profile.body.user.wallets;
  assert.equal(wallet.public_address, account.address.toLowerCase());
  assert.equal(wallet.id, me.body.wallet_id);
});

test('a replayed signature and another key are refused', async () => {
  const account = newAccount();
  const challenge = await challengeFor(account);
  const forged = await newAccount().signMessage({ message: challenge });
  const wrong = await call('POST', '/api/wallet/verify', {
    body: { address: account.address, signature: forged },
  });
  assert.equal(wrong.status, 400);
  const signature = await account.signMessage({ message: challenge });
  const body = { address: account.address, signature };
  assert.equal((await call('POST', '/api/wallet/verify', { body })).status, 200);
  assert.equal((await call('POST', '/api/wallet/verify', { body })).status, 400);
});

test('a challenge signed too late (10 minutes of fake time) is refused', async () => {
  const account = newAccount();
  const signature = await account.signMessage({ message: await challengeFor(account) });
  await ctx.fake.control.advance({ minutes: 10 });
  const late = await call('POST', '/api/wallet/verify', {
    body: { address: account.address, signature },
  });
  assert.equal(late.status, 400);
  assert.match(late.body.error, /expired/);
});

test('Sign-In with Ethereum: a viem SIWE message logs in once', async () => {
  const account = newAccount();
  const message = await siweMessage(account, { issuedAt: new Date() });
  const signature = await account.signMessage({ message });
  const me = await call('POST', '/api/wallet/siwe', { body: { message, signature } });
  assert.equal(me.status, 200);
  assert.equal((await call('GET', '/api/profile', { token: me.body.session_token })).status, 200);
  const replay = await call('POST', '/api/wallet/siwe', { body: { message, signature } });
  assert.equal(replay.status, 400);
});

test('Sign-In with Ethereum: an expired message is refused', async () => {
  const account = newAccount();
  const message = await siweMessage(account, {
    issuedAt: new Date(Date.now() - 120_000),
    expirationTime: new Date(Date.now() - 60_000),
  });
  const signature = await account.signMessage({ message });
  const expired = await call('POST', '/api/wallet/siwe', { body: { message, signature } });
  assert.equal(expired.status, 400);
  assert.match(expired.body.error, /Expiration Time/);
});
