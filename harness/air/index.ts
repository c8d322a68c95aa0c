// Public surface of the AIR area: parser, AST, VM.
export {};
