/**
 * The storage under the conntrack hash table and nf_nat_bysource: chains of nodes hanging from an
 * array of heads, each new node at its chain's head (hlist_nulls_add_head_rcu).
 *
 * DEVIATION: the kernel allocates all nf_conntrack_buckets heads up front. Here the array of heads
 * starts small and doubles as nodes are added (up to the logical bucket count), and a node sits in
 * physical chain `slot & mask`: one chain may hold nodes of several logical buckets, so code that
 * walks a logical bucket (early_drop) checks `node.slot`. Within a logical bucket the order is the
 * kernel's, newest first; doubling keeps it.
 */

export interface ChainNode<T> {
  /** The logical bucket (or hash) the node belongs to. */
  readonly slot: number;
  next: T | null;
}

const INITIAL_HEADS = 16;

export class ChainTable<T extends ChainNode<T>> {
  private heads: (T | null)[] = new Array<T | null>(INITIAL_HEADS).fill(null);
  private mask = INITIAL_HEADS - 1;
  private nodes = 0;
  private readonly maxHeads: number;

  /** `logicalSlots`: how many distinct slots there are (the heads never outnumber them). */
  constructor(logicalSlots: number) {
    let max = INITIAL_HEADS;
    while (max < logicalSlots && max < 1 << 30) max *= 2;
    this.maxHeads = max;
  }

  /** The first node of the physical chain holding `slot` (nodes of other slots may follow). */
  first(slot: number): T | null {
    return this.heads[slot & this.mask]!;
  }

  insertHead(node: T): void {
    if (++this.nodes > this.heads.length && this.heads.length < this.maxHeads) this.grow();
    const i = node.slot & this.mask;
    node.next = this.heads[i]!;
    this.heads[i] = node;
  }

  remove(node: T): void {
    const i = node.slot & this.mask;
    const head = this.heads[i]!;
    if (head === node) {
      this.heads[i] = node.next;
    } else {
      let prev: T | null = head;
      while (prev !== null && prev.next !== node) prev = prev.next;
      if (prev === null) return; // not in the table
      prev.next = node.next;
    }
    node.next = null;
    this.nodes--;
  }

  /** Empties the table at once (conntrack -F), keeping the heads' size: the table refills to it. */
  clear(): void {
    this.heads.fill(null);
    this.nodes = 0;
  }

  /** Doubles the heads, keeping every chain's order (nodes are appended in the order met). */
  private grow(): void {
    const size = this.heads.length * 2;
    const heads = new Array<T | null>(size).fill(null);
    const tails = new Array<T | null>(size).fill(null);
    const mask = size - 1;
    for (const head of this.heads) {
      for (let n = head; n !== null;) {
        const next = n.next;
        const i = n.slot & mask;
        n.next = null;
        const tail = tails[i]!;
        if (tail === null) heads[i] = n; else tail.next = n;
        tails[i] = n;
        n = next;
      }
    }
    this.heads = heads;
    this.mask = mask;
  }
}
