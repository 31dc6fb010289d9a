// The only C library functions the kernels call that the compiler does not lower to wasm
// instructions (act_params.cc derives constants with them). The module links no C library: one
// that is not built for shared memory (atomics) cannot be linked into a shared-memory module.
extern "C" {
// C99 semantics: a NaN operand yields the other one.
double fmin(double a, double b) { return a != a ? b : (b != b ? a : (a < b ? a : b)); }
double fmax(double a, double b) { return a != a ? b : (b != b ? a : (a > b ? a : b)); }
}
