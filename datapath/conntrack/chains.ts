/**
 * The storage under the conntrack hash table and nf_nat_bysource: chains of numbered nodes hanging
 * from an array of heads, each new node at its chain's head (hlist_nulls_add_head_rcu).
 *
 * Nodes are small integers chosen by the owner (the conntrack table numbers an entry's two tuple
 * nodes entryIndex*2 + dir); the heads, each node's successor and each node's slot are typed-array
 * columns, so a table of many entries holds no node objects for the garbage collector to trace.
 *
 * DEVIATION: the kernel allocates all nf_conntrack_buckets heads up front. Here the array of heads
 * starts small and doubles as nodes are added (up to the logical bucket count), and a node sits in
 * physical chain `slot & mask`: one chain may hold nodes of several logical buckets, so code that
 * walks a logical bucket (early_drop) checks `slotOf(node)`. Within a logical bucket the order is the
 * kernel's, newest first; doubling keeps it.
 */

/** The end of a chain (no node). */
export const NIL = -1;

const INITIAL_HEADS = 16;
const INITIAL_NODES = 64;

export class ChainTable {
  private heads = new Int32Array(INITIAL_HEADS).fill(NIL);
  private mask = INITIAL_HEADS - 1;
  private count = 0;
  private readonly maxHeads: number;
  /** Per node: the next node of its chain (hlist_nulls_node.next), and the logical slot it is in. */
  private nextOf = new Int32Array(INITIAL_NODES);
  private slots = new Uint32Array(INITIAL_NODES);

  /** `logicalSlots`: how many distinct slots there are (the heads never outnumber them). */
  constructor(logicalSlots: number) {
    let max = INITIAL_HEADS;
    while (max < logicalSlots && max < 1 << 30) max *= 2;
    this.maxHeads = max;
  }

  /** The first node of the physical chain holding `slot` (nodes of other slots may follow), or NIL. */
  first(slot: number): number {
    return this.heads[slot & this.mask]!;
  }

  /** The node after `node` in its physical chain, or NIL. */
  next(node: number): number {
    return this.nextOf[node]!;
  }

  /** The logical slot `node` was inserted with. */
  slotOf(node: number): number {
    return this.slots[node]!;
  }

  /** Makes room for node numbers below `nodes` (the columns grow by doubling, keeping contents). */
  reserve(nodes: number): void {
    if (nodes <= this.nextOf.length) return;
    let size = this.nextOf.length;
    while (size < nodes) size *= 2;
    const next = new Int32Array(size);
    next.set(this.nextOf);
    const slots = new Uint32Array(size);
    slots.set(this.slots);
    this.nextOf = next;
    this.slots = slots;
  }

  /** Puts `node` (below the reserved count, not in the table) at the head of `slot`'s chain. */
  insertHead(node: number, slot: number): void {
    if (++this.count > this.heads.length && this.heads.length < this.maxHeads) this.grow();
    this.slots[node] = slot;
    const i = slot & this.mask;
    this.nextOf[node] = this.heads[i]!;
    this.heads[i] = node;
  }

  /** Takes `node` out of its chain (nothing happens if it is not there). */
  remove(node: number): void {
    const next = this.nextOf;
    const i = this.slots[node]! & this.mask;
    const head = this.heads[i]!;
    if (head === node) {
      this.heads[i] = next[node]!;
    } else {
      let prev = head;
      while (prev !== NIL && next[prev] !== node) prev = next[prev]!;
      if (prev === NIL) return; // not in the table
      next[prev] = next[node]!;
    }
    next[node] = NIL;
    this.count--;
  }

  /** Empties the table at once (conntrack -F), keeping the heads' size: the table refills to it. */
  clear(): void {
    this.heads.fill(NIL);
    this.count = 0;
  }

  /** Doubles the heads, keeping every chain's order (nodes are appended in the order met). */
  private grow(): void {
    const size = this.heads.length * 2;
    const heads = new Int32Array(size).fill(NIL);
    const tails = new Int32Array(size).fill(NIL);
    const mask = size - 1;
    const next = this.nextOf;
    for (const head of this.heads) {
      for (let n = head; n !== NIL;) {
        const after = next[n]!;
        const i = this.slots[n]! & mask;
        next[n] = NIL;
        const tail = tails[i]!;
        if (tail === NIL) heads[i] = n; else next[tail] = n;
        tails[i] = n;
        n = after;
      }
    }
    this.heads = heads;
    this.mask = mask;
  }
}
