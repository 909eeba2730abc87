// Production mode: the shop's page carries a token its backend signed for the logged-in customer,
//   <meta name="modu-chat-identity" content="42.1767225600.9f86d0…">
// (README, "Identifying the shop's customers"). The gateway checks it and binds the chat to that
// customer; no token (or an empty one) means a guest.

export function pageIdentity(doc = document) {
  const meta = doc.querySelector('meta[name="modu-chat-identity"]');
  const token = meta ? (meta.getAttribute('content') || '').trim() : '';
  return token || null;
}

/**
 * POST /api/identify with the page's token; resolves to the session ({customer, mode, ...}).
 * A token the gateway refuses leaves the browser a guest: resolves to that guest session and
 * reports the server's Korean message through onError(message).
 */
export async function identify(api, onError) {
  try {
    return await api.post('/api/identify', { token: pageIdentity() });
  } catch (err) {
    onError(err.message);
    try {
      return await api.get('/api/me');
    } catch {
      return null;
    }
  }
}
