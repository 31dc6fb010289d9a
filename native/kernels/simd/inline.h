// SMELU_INLINE forces inlining of the activation bodies and vector wrappers into the loops that use
// them: only inside one function can g++ keep an activation's constants in registers (and merge
// VecUnroll's identical lanes); a call per vector would also pass N vectors through memory.
#pragma once
#if defined(__GNUC__)
#define SMELU_INLINE inline __attribute__((always_inline))
#else
#define SMELU_INLINE inline
#endif
