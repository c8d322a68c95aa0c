// Public surface for tests: in-process networks and service loaders.
export {};
