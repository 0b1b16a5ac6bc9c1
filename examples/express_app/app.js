// A small Express app that signs users in with MoonKey email passcodes (the seed guide's
// patterns). Configuration: createApp({ apiUrl, secretKey, timeoutMs }) or the environment
// (MOONKEY_API_URL, default https://api.moonkey.fun; MOONKEY_SECRET_KEY).
//
//   POST   /api/login/start     {email}: MoonKey emails a passcode
//   POST   /api/login/verify    {email, code, remember_me}: a 30-day or 1-day session
//   GET    /api/profile         the signed-in user (requireAuth)
//   POST   /api/logout          ends this session (DeleteSession)
//   GET    /api/sessions        the user's devices
//   DELETE /api/sessions/:id    signs another device out
//   POST   /api/wallet/challenge {address}: the text the wallet signs (BeginWalletRegistration)
//   POST   /api/wallet/verify    {address, signature}: a 1-day session (VerifyWallet)
//   POST   /api/wallet/nonce     {address}: a nonce for a Sign-In with Ethereum message
//   POST   /api/wallet/siwe      {message, signature}: a 1-day session (VerifySiweWalletRegistration)
import express from 'express';

export const REMEMBER_ME_MINUTES = 43200; // 30 days
export const SHORT_SESSION_MINUTES = 1440; // 1 day
// MoonKey statuses meaning "this session token is no good" (anything else is an outage).
const SESSION_REJECTED = new Set([400, 401, 404]);

export function moonkeyClient({ apiUrl, secretKey, timeoutMs = 5000 }) {
  return async function call(method, path, body) {
    return fetch(apiUrl.replace(/\/$/, '') + path, {
      method,
      headers: { Authorization: `Bearer ${secretKey}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  };
}

// The seed's middleware: verify the session-token header with MoonKey on every request.
// One change from the seed's snippet: a MoonKey outage (5xx, 429) is the 500 path, not a 401,
// so it does not log every user out.
export function requireAuth(moonkey) {
  return async function (req, res, next) {
    const sessionToken = req.headers['session-token'];
    if (!sessionToken) {
      return res.status(401).json({ error: 'No session token provided' });
    }
    try {
      const response = await moonkey('POST', '/v1/auth/sessions/verify', {
        session_token: sessionToken,
      });
      if (SESSION_REJECTED.has(response.status)) {
        return res.status(401).json({ error: 'Invalid session' });
      }
      if (!response.ok) {
        throw new Error(`MoonKey answered ${response.status}`);
      }
      const { session, user } = await response.json();
      req.user = user;
      req.session = session;
      req.sessionToken = sessionToken;
      next();
    } catch (error) {
      return res.status(500).json({ error: 'Session verification failed' });
    }
  };
}

async function refused(res, response) {
  if (response.status >= 400 && response.status < 500) {
    const body = await response.json();
    return res.status(response.status).json({ error: body.error_message });
  }
  return res.status(502).json({ error: 'MoonKey is unavailable' });
}

export function createApp(options = {}) {
  const moonkey = moonkeyClient({
    apiUrl: options.apiUrl ?? process.env.MOONKEY_API_URL ?? 'https://api.moonkey.fun',
    secretKey: options.secretKey ?? process.env.MOONKEY_SECRET_KEY ?? '',
    timeoutMs: options.timeoutMs,
  });
  const auth = requireAuth(moonkey);
  const app = express();
  app.use(express.json());

  app.post('/api/login/start', async (req, res) => {
    const sent = await moonkey('POST', '/v1/auth/otps/email/login_or_create', {
      email: req.body?.email ?? '',
    });
    if (!sent.ok) return refused(res, sent);
    res.json({ sent: true });
  });

  app.post('/api/login/verify', async (req, res) => {
    const { email = '', code = '', remember_me: rememberMe = false } = req.body ?? {};
    const verified = await moonkey('POST', '/v1/auth/otps/verify', {
      email,
      code: String(code),
      session_expires_in: rememberMe ? REMEMBER_ME_MINUTES : SHORT_SESSION_MINUTES,
      device_fingerprint: { ip: req.ip ?? '', user_agent: req.get('user-agent') ?? '' },
    });
    if (!verified.ok) return refused(res, verified);
    const body = await verified.json();
    res.json({
      session_token: body.session_token,
      session_jwt: body.session_jwt,
      user: body.user,
      expires_at: body.session.expires_at,
    });
  });

  app.get('/api/profile', auth, (req, res) => {
    res.json({ user: req.user });
  });

  app.post('/api/logout', auth, async (req, res) => {
    const done = await moonkey('DELETE', '/v1/auth/sessions/delete', {
      session_token: req.sessionToken,
    });
    if (!done.ok) return refused(res, done);
    res.json({ logged_out: true });
  });

  async function sessionsOf(userId) {
    const found = await moonkey('GET', `/v1/auth/sessions/list?user_id=${encodeURIComponent(userId)}`);
    return found.ok ? (await found.json()).sessions : null;
  }

  app.get('/api/sessions', auth, async (req, res) => {
    const sessions = await sessionsOf(req.user.id);
    if (sessions === null) return res.status(502).json({ error: 'MoonKey is unavailable' });
    // Never pass other sessions' tokens to the browser.
    res.json({
      sessions: sessions.map((s) => ({
        id: s.id,
        created_at: s.created_at,
        expires_at: s.expires_at,
        user_agent: s.device_info.user_agent,
        ip_address: s.device_info.ip_address,
        current: s.id === req.session.id,
      })),
    });
  });

  app.delete('/api/sessions/:id', auth, async (req, res) => {
    const sessions = await sessionsOf(req.user.id);
    if (sessions === null) return res.status(502).json({ error: 'MoonKey is unavailable' });
    if (!sessions.some((s) => s.id === req.params.id)) {
      return res.status(404).json({ error: 'No such session' });
    }
    const done = await moonkey('DELETE', '/v1/auth/sessions/delete', { session_id: req.params.id });
    if (!done.ok) return refused(res, done);
    res.json({ revoked: req.params.id });
  });

  // Wallet login (Ethereum): the browser's wallet signs what MoonKey hands out.
  app.post('/api/wallet/challenge', async (req, res) => {
    const begun = await moonkey('POST', '/v1/auth/wallets/registrations/begin', {
      wallet_type: 'ethereum',
      public_address: req.body?.address ?? '',
    });
    if (!begun.ok) return refused(res, begun);
    res.json({ challenge: (await begun.json()).challenge });
  });

  async function walletSession(res, verified) {
    if (!verified.ok) return refused(res, verified);
    const body = await verified.json();
    res.json({
      session_token: body.session_token,
      session_jwt: body.session_jwt,
      user: body.user,
      wallet_id: body.id,
      expires_at: body.session.expires_at,
    });
  }

  app.post('/api/wallet/verify', async (req, res) => {
    const verified = await moonkey('POST', '/v1/auth/wallets/verify', {
      wallet_type: 'ethereum',
      public_address: req.body?.address ?? '',
      signature: req.body?.signature ?? '',
      session_expires_in: SHORT_SESSION_MINUTES,
      device_fingerprint: { ip: req.ip ?? '', user_agent: req.get('user-agent') ?? '' },
    });
    return walletSession(res, verified);
  });

  app.post('/api/wallet/nonce', async (req, res) => {
    const made = await moonkey('POST', '/v1/auth/wallets/registrations/nonce', {
      wallet_type: 'ethereum',
      public_address: req.body?.address ?? '',
    });
    if (!made.ok) return refused(res, made);
    res.json({ nonce: (await made.json()).nonce });
  });

  app.post('/api/wallet/siwe', async (req, res) => {
    const verified = await moonkey('POST', '/v1/auth/wallets/siwe/verify', {
      siwe_challenge: req.body?.message ?? '',
      signature: req.body?.signature ?? '',
      session_expires_in: SHORT_SESSION_MINUTES,
    });
    return walletSession(res, verified);
  });

  // Network trouble reaching MoonKey outside requireAuth (Express 5 forwards async errors).
  app.use((error, req, res, next) => {
    res.status(502).json({ error: 'MoonKey is unreachable' });
  });
  return app;
}
