// The x86 intrinsics, included once for every AVX2 / AVX-512 header.
#pragma once
// g++ 12 before 12.3 warns about the self-initialization in _mm512_undefined_ps() inside the
// intrinsics (GCC PR 105593); the warning is attributed to the header, so it is silenced there.
// Whichever header of a unit includes the intrinsics first must do it this way: a plain include
// before it made the AVX-512 unit print 1.6 MB of warnings.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
