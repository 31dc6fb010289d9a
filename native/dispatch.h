// Runtime choice of the ISA tier: CPUID for the instruction sets, XGETBV for the register state the
// OS saves (an AVX-512 CPU under an OS that does not save ZMM state must not run AVX-512 code).
#pragma once
#include <string>
#include <vector>

#include "kernels/act/act.h"
#include "kernels/optim/optim.h"

namespace smelu {

enum class Isa : int { scalar = 0, avx2 = 1, avx512 = 2, neon = 3 };

const char* isa_name(Isa isa);
bool isa_from_name(const std::string& name, Isa* out);

// Tiers this CPU and OS can run, lowest first.
std::vector<Isa> supported_isas();
bool isa_supported(Isa isa);

// The tier in use: the best supported at load, or the one forced by set_isa().
Isa current_isa();
// Returns false (and changes nothing) when the tier is not supported.
bool set_isa(Isa isa);

const ActKernels& act_kernels(Isa isa);
inline const ActKernels& act_kernels() { return act_kernels(current_isa()); }

const OptimKernels& optim_kernels(Isa isa);
inline const OptimKernels& optim_kernels() { return optim_kernels(current_isa()); }

}  // namespace smelu
