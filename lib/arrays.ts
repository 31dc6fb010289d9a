/**
 * Arrays in the backend's memory: {@link allocArray} and {@link releaseArray}.
 *
 * On the WebAssembly backend every call copies an ordinary Float32Array into the module's memory
 * and its results back out; for an activation over an array that fits in L1 the two copies cost
 * about half as much as the kernel. An array from allocArray lives in that memory, so calls on it
 * (the activations, the dense layer, the optimizer step) read and write it where it is. On the
 * native and TypeScript backends it is an ordinary Float32Array: code written with allocArray runs
 * unchanged on every backend, and with the same bits as on ordinary arrays.
 */
import { types } from 'node:util';
import { releaseBlock } from './backend/blocks';
import { describeValue } from './check';
import { selected } from './runtime';

/** The most floats one {@link allocArray} call accepts (the largest Float32Array allowed here). */
export const MAX_ARRAY_LENGTH = 2 ** 32 - 1;

/**
 * A zero-filled Float32Array of `length` floats in the active backend's memory: calls on it (or on
 * its subarrays) skip the copies into and out of the WebAssembly module's memory.
 *
 * Release it with {@link releaseArray} when done; a call given it (or a subarray of it) afterwards
 * throws a TypeError. Do not read or write it yourself after the release: on the wasm backend its
 * memory goes to the next allocation. Views made by hand over its `buffer` must stay inside it
 * (the calls throw a RangeError otherwise). On the native and TypeScript backends, and on the wasm
 * backend without shared memory (a browser page that is not cross-origin isolated), it is an
 * ordinary Float32Array with the same rules. It stays valid when the backend's memory grows.
 * @param length floats, an integer from 0 to {@link MAX_ARRAY_LENGTH}.
 * @returns the array; on the wasm backend a view of a SharedArrayBuffer.
 * @throws TypeError when `length` is not a non-negative integer.
 * @throws RangeError when `length` exceeds {@link MAX_ARRAY_LENGTH}, the memory cannot hold it
 *   (the wasm backend's memory is 4 GiB in all), or the allocation fails.
 */
export function allocArray(length: number): Float32Array {
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw new TypeError(`length must be a non-negative integer, got ${describeValue(length)}`);
  }
  if (length > MAX_ARRAY_LENGTH) throw new RangeError(`length must be at most ${MAX_ARRAY_LENGTH}, got ${length}`);
  return selected().backend.allocArray(length);
}

/**
 * Gives back the memory of an array from {@link allocArray}. Afterwards every call given it or a
 * view of it throws a TypeError; it works whichever backend is active now.
 * @param array exactly the array allocArray returned (not a subarray of it).
 * @throws TypeError when `array` is not a Float32Array, was not made by allocArray, is only part
 *   of one, or was released already.
 */
export function releaseArray(array: Float32Array): void {
  if (!types.isFloat32Array(array)) throw new TypeError(`array must be a Float32Array from allocArray, got ${describeValue(array)}`);
  releaseBlock(array);
}
