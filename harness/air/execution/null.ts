// `(null)`: does nothing.

/** Executes null. */
export function executeNull(): void {}
