// A websocket that reconnects with exponential back-off (0.5 s doubling up to 10 s).
// The URL is rebuilt on every attempt so callers can pass the last id they have seen.

/** Build ws(s)://<current host><path>?<params>. */
export function wsUrl(path, params = {}) {
  const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = new URL(path, `${protocol}//${window.location.host}`);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
  }
  return url.toString();
}

// A connection must stay up this long before the back-off resets; this keeps a server that
// accepts and immediately drops us from being hammered every 0.5 s.
const STABLE_MS = 3000;

export class ReconnectingSocket {
  /**
   * url: () => string, called before each attempt.
   * onMessage(frame): parsed JSON frames. onOpen({reconnected}), onClose(event): optional.
   */
  constructor({ url, onMessage, onOpen = () => {}, onClose = () => {}, minDelay = 500, maxDelay = 10000 }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onOpen = onOpen;
    this.onClose = onClose;
    this.minDelay = minDelay;
    this.maxDelay = maxDelay;
    this.delay = minDelay;
    this.ws = null;
    this.timer = null;
    this.stopped = true;
    this.everOpened = false;
    this.openedAt = 0;
    this.handleOnline = () => this.reconnectNow();
  }

  get connected() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN);
  }

  start() {
    this.stopped = false;
    window.addEventListener('online', this.handleOnline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.handleOnline);
    clearTimeout(this.timer);
    this.timer = null;
    this.dropSocket();
  }

  /** Skip the remaining back-off (e.g. the browser came back online). */
  reconnectNow() {
    if (this.stopped || this.connected) return;
    clearTimeout(this.timer);
    this.delay = this.minDelay;
    this.dropSocket();
    this.connect();
  }

  send(frame) {
    if (this.connected) this.ws.send(JSON.stringify(frame));
  }

  dropSocket() {
    if (!this.ws) return;
    const ws = this.ws;
    this.ws = null;
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    try {
      ws.close();
    } catch {
      /* already closed */
    }
  }

  connect() {
    this.timer = null;
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.openedAt = Date.now();
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.onOpen({ reconnected });
    };
    ws.onmessage = (event) => this.dispatch(event.data);
    ws.onerror = () => {}; // a close event always follows
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.openedAt && Date.now() - this.openedAt >= STABLE_MS) this.delay = this.minDelay;
      this.openedAt = 0;
      if (this.stopped) return;
      this.onClose(event);
      this.scheduleReconnect();
    };
  }

  dispatch(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return; // ignore non-JSON frames (e.g. keep-alives)
    }
    if (frame && typeof frame === 'object') this.onMessage(frame);
  }

  scheduleReconnect() {
    if (this.stopped || this.timer) return;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, this.maxDelay);
    this.timer = setTimeout(() => this.connect(), wait);
  }
}
