// JSON-over-fetch client. Errors become ApiError with a Korean message for the UI:
// the server's {error: "..."} when it sent one, otherwise a default by status.

const DEFAULT_MESSAGES = {
  0: '서버에 연결할 수 없어요. 네트워크 상태를 확인해 주세요.',
  400: '요청 내용을 확인해 주세요.',
  401: '로그인이 필요해요.',
  403: '이 작업을 할 권한이 없어요.',
  404: '요청한 정보를 찾을 수 없어요.',
  409: '이미 처리되었거나 다른 사람이 처리 중이에요.',
  413: '내용이 너무 길어요.',
  429: '요청이 너무 많아요. 잠시 후 다시 시도해 주세요.',
};
const SERVER_ERROR = '서버에 문제가 생겼어요. 잠시 후 다시 시도해 주세요.';
const TIMEOUT_ERROR = '서버 응답이 늦어지고 있어요. 잠시 후 다시 시도해 주세요.';

/** A new id for one outgoing message: the server stores and answers a message once per id, so a
 *  retry with the same id (after a timeout, a dropped connection or a server restart) is safe. */
export function newClientId() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes); // randomUUID needs a secure context; this does not
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Worth sending again as is: the server could not be reached or was restarting. */
export function isTransient(err) {
  return err instanceof ApiError && (err.status === 0 || err.status === 502 || err.status === 503 || err.status === 504);
}

export class ApiError extends Error {
  constructor(message, status, data) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.data = data;
  }
}

function defaultMessage(status) {
  return DEFAULT_MESSAGES[status] || (status >= 500 ? SERVER_ERROR : DEFAULT_MESSAGES[400]);
}

async function readBody(response) {
  const type = response.headers.get('Content-Type') || '';
  if (!type.includes('json')) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/**
 * options.getToken: () => bearer token or null.
 * options.onUnauthorized: called on any 401 (unless the request passes {authRedirect: false}).
 */
export function createApi({ getToken = () => null, onUnauthorized = null, timeoutMs = 20000 } = {}) {
  async function request(method, path, body, { authRedirect = true } = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
        signal: controller.signal,
      });
    } catch (err) {
      const timedOut = err && err.name === 'AbortError';
      throw new ApiError(timedOut ? TIMEOUT_ERROR : DEFAULT_MESSAGES[0], 0, null);
    } finally {
      clearTimeout(timer);
    }

    const data = await readBody(response);
    if (!response.ok) {
      if (response.status === 401 && authRedirect && onUnauthorized) onUnauthorized();
      const message = data && typeof data.error === 'string' && data.error ? data.error : defaultMessage(response.status);
      throw new ApiError(message, response.status, data);
    }
    return data || {};
  }

  return {
    get: (path, options) => request('GET', path, undefined, options),
    post: (path, body = {}, options) => request('POST', path, body, options),
  };
}
