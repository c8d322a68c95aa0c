// Public surface of the Marine host: services from configs, the build pipeline, errors.
export {};
