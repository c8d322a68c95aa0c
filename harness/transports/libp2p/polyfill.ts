// libp2p 3.x (it-queue, mortice, the stream classes) calls `Promise.withResolvers`, which Node 20
// lacks (Node 22 and current browsers have it). Plain JS, no `node:` import, so it also runs in
// browser bundles, where it does nothing. Import this module before anything of libp2p.

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const promiseCtor = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };

if (typeof promiseCtor.withResolvers !== 'function') {
  promiseCtor.withResolvers = <T>(): Resolvers<T> => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

/** True once `Promise.withResolvers` exists (always, after this module ran). */
export const promiseWithResolversReady = true;
