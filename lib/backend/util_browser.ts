/**
 * The part of node:util the public API uses (lib/check.ts), for the browser bundle, which maps
 * node:util here. Tagged like util.types: a Float32Array from another realm (iframe) counts too.
 */
export const types = {
  isFloat32Array(v: unknown): v is Float32Array {
    return Object.prototype.toString.call(v) === '[object Float32Array]';
  },
};
