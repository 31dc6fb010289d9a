#include "dispatch.h"

#include <array>
#include <atomic>

namespace smelu {

namespace {

// Built on first use (the addon's Init asks for it at load), from the per-tier tables each
// family defines in its own per-ISA object file.
std::array<IsaKernels, kIsaCount> build_tables() {
  std::array<IsaKernels, kIsaCount> t;
  for (int i = 0; i < kIsaCount; ++i) t[i] = {act_kernels_scalar, optim_kernels_scalar, gemm_kernels_scalar};
#if defined(__x86_64__)
  if (isa_supported(Isa::avx2)) t[1] = {act_kernels_avx2, optim_kernels_avx2, gemm_kernels_avx2};
  if (isa_supported(Isa::avx512)) t[2] = {act_kernels_avx512, optim_kernels_avx512, gemm_kernels_avx512};
#elif defined(__aarch64__)
  t[3] = {act_kernels_neon, optim_kernels_neon, gemm_kernels_neon};
#endif
  return t;
}

std::atomic<int>& current() {
  static std::atomic<int> c{static_cast<int>(supported_isas().back())};
  return c;
}

}  // namespace

Isa current_isa() { return static_cast<Isa>(current().load(std::memory_order_relaxed)); }

bool set_isa(Isa isa) {
  if (!isa_supported(isa)) return false;
  current().store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

const IsaKernels& kernels(Isa isa) {
  static const std::array<IsaKernels, kIsaCount> tables = build_tables();
  return tables[static_cast<int>(isa)];
}

}  // namespace smelu
