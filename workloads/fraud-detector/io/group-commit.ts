/**
 * Group commit: callers add items and get a promise that settles when the write carrying them has
 * landed; one write is in flight at a time, and whatever is added meanwhile goes out together in the
 * next one. So an idle writer sends at once (low latency) and a busy one sends fewer, larger requests
 * (an acks=all produce round trip or a store insert is paid per request, not per batch).
 *
 * Items of one `add` always travel in one write; a write takes whole adds up to `maxWeight` (at least
 * one). A failed write rejects the adds it carried; the next write goes on.
 */

export interface GroupCommit<T> {
  /** Resolves when the write carrying these items succeeded; rejects with its error. */
  add(items: readonly T[]): Promise<void>;
  /** Items added and not yet written. */
  pending(): number;
}

interface Waiting<T> {
  items: readonly T[];
  weight: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function groupCommit<T>(
  write: (items: T[]) => Promise<void>,
  options: { maxWeight: number; weight?: (item: T) => number },
): GroupCommit<T> {
  const weigh = options.weight ?? (() => 1);
  let queue: Waiting<T>[] = [];
  let queued = 0;
  let busy = false;

  const next = (): void => {
    if (queue.length === 0) {
      busy = false;
      return;
    }
    let weight = 0;
    let take = 0;
    while (take < queue.length) {
      const w = (queue[take] as Waiting<T>).weight;
      if (take > 0 && weight + w > options.maxWeight) break;
      weight += w;
      take++;
    }
    const group = queue.slice(0, take);
    queue = queue.slice(take);
    const items: T[] = [];
    for (const g of group) {
      for (const item of g.items) items.push(item);
      queued -= g.items.length;
    }
    write(items).then(
      () => {
        for (const g of group) g.resolve();
        next();
      },
      (err: unknown) => {
        for (const g of group) g.reject(err);
        next();
      },
    );
  };

  return {
    add(items) {
      if (items.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        let weight = 0;
        for (const item of items) weight += weigh(item);
        queue.push({ items, weight, resolve, reject });
        queued += items.length;
        if (!busy) {
          busy = true;
          // Adds made in the same turn (several partitions' batches of one fetch) share the first write.
          setImmediate(next);
        }
      });
    },
    pending: () => queued,
  };
}
