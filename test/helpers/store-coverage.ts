// Which Store methods a test suite called: wraps each store a contract opens so that every call is
// recorded by name ("users.byId", "close"), and lists every method the real store object has, so the
// contract can fail when a method (a new one included) is never exercised.
import type { Store } from '../../src/store/store.ts';

export interface StoreCoverage {
  /** The same store, with every method call recorded. */
  track(store: Store): Store;
  called: Set<string>;
  /** Every method of a store object: its own functions and those of its sub-stores. */
  methodsOf(store: Store): string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export function storeCoverage(): StoreCoverage {
  const called = new Set<string>();
  const wrap = <T extends object>(target: T, prefix: string): T =>
    new Proxy(target, {
      get(obj, key, receiver) {
        const v = Reflect.get(obj, key, receiver);
        if (typeof key !== 'string') return v;
        if (typeof v === 'function') {
          return (...args: unknown[]) => {
            called.add(`${prefix}${key}`);
            return (v as (...a: unknown[]) => unknown).apply(obj, args);
          };
        }
        return isObject(v) && prefix === '' ? wrap(v, `${key}.`) : v;
      },
    });
  return {
    called,
    track: (store) => wrap(store, ''),
    methodsOf(store) {
      const out: string[] = [];
      for (const [k, v] of Object.entries(store)) {
        if (typeof v === 'function') out.push(k);
        else if (isObject(v)) {
          for (const [m, f] of Object.entries(v)) if (typeof f === 'function') out.push(`${k}.${m}`);
        }
      }
      return out.sort();
    },
  };
}
