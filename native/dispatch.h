// One table of kernels per ISA tier, built once from the tiers this CPU and OS run (kernels/isa.h),
// and the tier in use. Every entry point (the addon's activation, optimizer and dense calls) takes
// its kernels from kernels().
#pragma once
#include "kernels/act/act.h"
#include "kernels/gemm/gemm.h"
#include "kernels/isa.h"
#include "kernels/optim/optim.h"

namespace smelu {

struct IsaKernels {
  ActKernels act;
  OptimKernels optim;
  GemmKernels gemm;
};

// The tier in use: the best supported at load, or the one forced by set_isa().
Isa current_isa();
// Returns false (and changes nothing) when the tier is not supported.
bool set_isa(Isa isa);

// The table of a supported tier (the scalar one for a tier this build or CPU lacks).
const IsaKernels& kernels(Isa isa);
inline const IsaKernels& kernels() { return kernels(current_isa()); }

}  // namespace smelu
