// An ordered, de-duplicated list of rendered messages inside a container.
// Messages are kept in id order whatever order they arrive in; "pending" nodes (customer
// messages not yet confirmed by the server) always stay after them, and an optional anchor
// node (the typing indicator) stays last.

export class Timeline {
  /** render(message) -> Node. */
  constructor(container, render, { anchor = null } = {}) {
    this.container = container;
    this.render = render;
    this.anchor = anchor;
    this.nodes = new Map(); // id -> node
    this.ids = []; // sorted ids
    this.pending = new Set(); // pending nodes, in insertion order
  }

  has(id) {
    return this.nodes.has(Number(id));
  }

  get maxId() {
    return this.ids.length ? this.ids[this.ids.length - 1] : 0;
  }

  get size() {
    return this.ids.length;
  }

  node(id) {
    return this.nodes.get(Number(id)) || null;
  }

  /** [id, node] pairs with id below the given one, newest first. */
  *before(id) {
    for (let i = this.ids.length - 1; i >= 0; i -= 1) {
      if (this.ids[i] < id) yield [this.ids[i], this.nodes.get(this.ids[i])];
    }
  }

  /** Render and insert a message; returns the node, or null if it was already there. */
  insert(message) {
    if (this.has(message.id)) return null;
    const node = this.render(message);
    this.place(message.id, node);
    return node;
  }

  /** Add a node that has no id yet; it stays below all confirmed messages. */
  addPending(node) {
    this.pending.add(node);
    this.container.insertBefore(node, this.anchor);
    return node;
  }

  /** Replace a pending node by the confirmed message (or drop it if already rendered). */
  resolvePending(node, message) {
    this.pending.delete(node);
    node.remove();
    return this.insert(message);
  }

  removePending(node) {
    this.pending.delete(node);
    node.remove();
  }

  clear() {
    for (const node of this.nodes.values()) node.remove();
    for (const node of this.pending) node.remove();
    this.nodes.clear();
    this.pending.clear();
    this.ids = [];
  }

  place(id, node) {
    const index = this.insertionIndex(id);
    const nextId = this.ids[index];
    const reference = nextId !== undefined ? this.nodes.get(nextId) : this.firstPending() || this.anchor;
    this.container.insertBefore(node, reference);
    this.ids.splice(index, 0, id);
    this.nodes.set(id, node);
  }

  firstPending() {
    for (const node of this.pending) return node;
    return null;
  }

  // Binary search for the first id greater than the given one.
  insertionIndex(id) {
    let low = 0;
    let high = this.ids.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.ids[mid] < id) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
