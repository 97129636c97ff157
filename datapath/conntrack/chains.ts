/**
 * The storage under the conntrack hash table and nf_nat_bysource: chains of numbered nodes hanging
 * from an array of heads, each new node at its chain's head (hlist_nulls_add_head_rcu).
 *
 * Nodes are small integers chosen by the owner (the conntrack table numbers an entry's two tuple
 * nodes entryIndex*2 + dir). The heads are an Int32Array; each node's successor, slot and a key the
 * owner compares before anything else (the conntrack table's full tuple hash) sit side by side in
 * one Int32Array, so a chain walk reads one cache line per node and a table of many entries holds
 * no node objects for the garbage collector to trace.
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
/** A node's cells: next, slot, key. */
const STRIDE = 3;

export class ChainTable {
  private heads = new Int32Array(INITIAL_HEADS).fill(NIL);
  private mask = INITIAL_HEADS - 1;
  private count = 0;
  private readonly maxHeads: number;
  /** Per node, STRIDE cells: the next node of its chain (hlist_nulls_node.next), the logical slot
   *  it is in and the owner's key. */
  private cells = new Int32Array(INITIAL_NODES * STRIDE);

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
    return this.cells[node * STRIDE]!;
  }

  /** The logical slot `node` was inserted with (an int32: a 32-bit slot reads back negative). */
  slotOf(node: number): number {
    return this.cells[node * STRIDE + 1]!;
  }

  /** The key `node` was inserted with, as an int32. */
  keyOf(node: number): number {
    return this.cells[node * STRIDE + 2]!;
  }

  /** Makes room for node numbers below `nodes` (the cells grow by doubling, keeping contents). */
  reserve(nodes: number): void {
    if (nodes * STRIDE <= this.cells.length) return;
    let size = this.cells.length;
    while (size < nodes * STRIDE) size *= 2;
    const cells = new Int32Array(size);
    cells.set(this.cells);
    this.cells = cells;
  }

  /** Puts `node` (below the reserved count, not in the table) at the head of `slot`'s chain. */
  insertHead(node: number, slot: number, key = 0): void {
    if (++this.count > this.heads.length && this.heads.length < this.maxHeads) this.grow();
    const i = slot & this.mask;
    const c = node * STRIDE;
    this.cells[c] = this.heads[i]!;
    this.cells[c + 1] = slot;
    this.cells[c + 2] = key;
    this.heads[i] = node;
  }

  /** Takes `node` out of its chain (nothing happens if it is not there). */
  remove(node: number): void {
    const cells = this.cells;
    const i = cells[node * STRIDE + 1]! & this.mask;
    const head = this.heads[i]!;
    if (head === node) {
      this.heads[i] = cells[node * STRIDE]!;
    } else {
      let prev = head;
      while (prev !== NIL && cells[prev * STRIDE] !== node) prev = cells[prev * STRIDE]!;
      if (prev === NIL) return; // not in the table
      cells[prev * STRIDE] = cells[node * STRIDE]!;
    }
    cells[node * STRIDE] = NIL;
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
    const cells = this.cells;
    for (const head of this.heads) {
      for (let n = head; n !== NIL;) {
        const after = cells[n * STRIDE]!;
        const i = cells[n * STRIDE + 1]! & mask;
        cells[n * STRIDE] = NIL;
        const tail = tails[i]!;
        if (tail === NIL) heads[i] = n; else cells[tail * STRIDE] = n;
        tails[i] = n;
        n = after;
      }
    }
    this.heads = heads;
    this.mask = mask;
  }
}
