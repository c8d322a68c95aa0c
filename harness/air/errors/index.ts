// Error codes and error classes of the AIR VM.
export * from './codes.js';
export * from './execution-error.js';
