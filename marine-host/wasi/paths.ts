// Resolving guest paths inside a mapped directory so that no path can leave it: absolute paths,
// `..` above the root and symlinks (anywhere on the path) that point outside are all refused.
// confinedPath checks a path string at one moment; the sandbox itself does not use it for
// operations (a string checked now can be swapped before it is opened): it uses confine.ts,
// which re-checks at the time of each operation. PathEscapeError is shared by both.
import { lstatSync, realpathSync } from 'node:fs';
import { dirname, join, relative, isAbsolute, sep, basename } from 'node:path';

/** Why a guest path was refused: a WASI filesystem error code. */
export type PathRefusal = 'not-permitted' | 'no-entry' | 'loop' | 'invalid' | 'access';

/** Thrown when a guest path would leave its mapped directory; carries the WASI error code. */
export class PathEscapeError extends Error {
  override name = 'PathEscapeError';
  constructor(
    readonly code: PathRefusal,
    message: string,
  ) {
    super(message);
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Host path for `guestPath` relative to the directory `base`, confined to `root` (both real
 * paths). With `followFinal` the last component may be a symlink that stays inside `root`;
 * without it the last component is returned as is (the caller opens it with O_NOFOLLOW).
 */
export function confinedPath(
  root: string,
  base: string,
  guestPath: string,
  followFinal: boolean,
): string {
  if (guestPath.includes('\0')) throw new PathEscapeError('invalid', 'path contains a NUL byte');
  if (guestPath.startsWith('/'))
    throw new PathEscapeError(
      'not-permitted',
      `absolute path ${JSON.stringify(guestPath)} is not allowed in a mapped directory`,
    );
  const parts = guestPath.split('/').filter((p) => p !== '' && p !== '.');
  let current = base;
  let hops = 0;
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i] as string;
    const last = i === parts.length - 1;
    if (part === '..') {
      if (current === root)
        throw new PathEscapeError(
          'not-permitted',
          `path ${JSON.stringify(guestPath)} goes above its mapped directory`,
        );
      current = dirname(current);
      continue;
    }
    const next = join(current, part);
    let isLink = false;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      // Does not exist (yet): what follows cannot be a link, so lexical confinement is enough.
    }
    if (isLink && (!last || followFinal)) {
      hops += 1;
      if (hops > 40)
        throw new PathEscapeError('loop', `too many symlinks in ${JSON.stringify(guestPath)}`);
      let target: string;
      try {
        target = realpathSync(next);
      } catch {
        throw new PathEscapeError(
          'no-entry',
          `symlink ${JSON.stringify(part)} in ${JSON.stringify(guestPath)} points nowhere`,
        );
      }
      if (!inside(root, target))
        throw new PathEscapeError(
          'not-permitted',
          `symlink ${JSON.stringify(part)} in ${JSON.stringify(guestPath)} points outside its mapped directory`,
        );
      current = target;
    } else current = next;
  }
  if (!inside(root, current))
    throw new PathEscapeError(
      'not-permitted',
      `path ${JSON.stringify(guestPath)} leaves its mapped directory`,
    );
  return current;
}

/** Name of the last component, for messages. */
export function lastComponent(path: string): string {
  return basename(path);
}
