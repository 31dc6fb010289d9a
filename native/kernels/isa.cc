#include "isa.h"

#include <cstdint>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace smelu {

namespace {

#if defined(__x86_64__)
struct X86Features {
  bool avx2_fma = false;
  bool avx512 = false;
};

uint64_t read_xcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

X86Features detect_x86() {
  X86Features f;
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = c & (1u << 27);
  const bool avx = c & (1u << 28);
  const bool fma = c & (1u << 12);
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;           // SSE + AVX state
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;         // + opmask, ZMM_Hi256, Hi16_ZMM
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return f;
  const bool avx2 = b & (1u << 5);
  const bool avx512f = b & (1u << 16), avx512dq = b & (1u << 17);
  const bool avx512bw = b & (1u << 30), avx512vl = b & (1u << 31);
  f.avx2_fma = ymm_state && avx2 && fma;
  f.avx512 = f.avx2_fma && zmm_state && avx512f && avx512dq && avx512bw && avx512vl;
  return f;
}
#endif

std::vector<Isa> detect() {
  std::vector<Isa> v{Isa::scalar};
#if defined(__x86_64__)
  const X86Features f = detect_x86();
  if (f.avx2_fma) v.push_back(Isa::avx2);
  if (f.avx512) v.push_back(Isa::avx512);
#elif defined(__aarch64__)
  v.push_back(Isa::neon);  // Advanced SIMD is mandatory on AArch64
#endif
  return v;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
    case Isa::neon: return "neon";
  }
  return "unknown";
}

bool isa_from_name(const std::string& name, Isa* out) {
  for (Isa i : {Isa::scalar, Isa::avx2, Isa::avx512, Isa::neon}) {
    if (name == isa_name(i)) {
      *out = i;
      return true;
    }
  }
  return false;
}

const std::vector<Isa>& supported_isas() {
  static const std::vector<Isa> v = detect();
  return v;
}

bool isa_supported(Isa isa) {
  for (Isa i : supported_isas())
    if (i == isa) return true;
  return false;
}

}  // namespace smelu
