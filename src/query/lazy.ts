// A lazy iterable with the few helpers callers reach for; nothing is read until iterated.

/** A lazy sequence: iterate it, or chain `map`/`filter`, or collect with `toArray()`. */
export class Lazy<T> implements Iterable<T> {
  constructor(private readonly source: () => Iterator<T>) {}

  [Symbol.iterator](): Iterator<T> {
    return this.source();
  }

  map<U>(fn: (item: T) => U): Lazy<U> {
    return new Lazy(() => mapIterator(this.source(), fn));
  }

  filter(fn: (item: T) => boolean): Lazy<T> {
    return new Lazy(() => filterIterator(this.source(), fn));
  }

  toArray(): T[] {
    return [...this];
  }
}

function* mapIterator<T, U>(it: Iterator<T>, fn: (item: T) => U): Iterator<U> {
  for (let next = it.next(); !next.done; next = it.next()) yield fn(next.value);
}

function* filterIterator<T>(it: Iterator<T>, fn: (item: T) => boolean): Iterator<T> {
  for (let next = it.next(); !next.done; next = it.next()) if (fn(next.value)) yield next.value;
}
