// Staff session: bearer token and user kept in sessionStorage only (gone with the tab).

const TOKEN_KEY = 'mm.staff.token';
const USER_KEY = 'mm.staff.user';

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the session lives in memory only
  }
}

export class StaffSession {
  constructor() {
    const store = storage();
    this.token = store ? store.getItem(TOKEN_KEY) : null;
    try {
      this.user = store ? JSON.parse(store.getItem(USER_KEY) || 'null') : null;
    } catch {
      this.user = null;
    }
  }

  get active() {
    return Boolean(this.token);
  }

  save(token, user) {
    this.token = token;
    this.user = user || null;
    const store = storage();
    if (!store) return;
    store.setItem(TOKEN_KEY, token);
    store.setItem(USER_KEY, JSON.stringify(this.user));
  }

  clear() {
    this.token = null;
    this.user = null;
    const store = storage();
    if (!store) return;
    store.removeItem(TOKEN_KEY);
    store.removeItem(USER_KEY);
  }
}
