// The instruction-set tiers and what this CPU and OS can run. Kernels include this header; the
// choice of the tier in use and the table of kernels per tier live above them (dispatch.h).
#pragma once
#include <string>
#include <vector>

namespace smelu {

enum class Isa : int { scalar = 0, avx2 = 1, avx512 = 2, neon = 3 };

constexpr int kIsaCount = 4;

const char* isa_name(Isa isa);
bool isa_from_name(const std::string& name, Isa* out);

// Tiers this CPU and OS can run, lowest first: CPUID for the instruction sets, XGETBV for the
// register state the OS saves (an AVX-512 CPU under an OS that does not save ZMM state must not
// run AVX-512 code). Detected once.
const std::vector<Isa>& supported_isas();
bool isa_supported(Isa isa);

}  // namespace smelu
