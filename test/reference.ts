// The float64 reference lives in the library (lib/reference.ts) so tests and benchmarks share it.
export * from '../lib/reference';
