#pragma once
// InstructionSet: the SIMD instruction set the kernels run with, chosen at run time.
//
// One built library carries every kernel compiled once per instruction set; at start-up the best
// one this CPU runs is chosen (through xsimd's dispatch). The environment variable SMALLNET_SIMD
// (avx512, avx2 or sse2) or set_instruction_set() forces a lower one, so every path can be tested.
// Products in bf16 (tensor/precision.hpp) need more than the set: bf16_instruction_set() says what runs them.

#include <string_view>
#include <vector>

namespace smallnet {

enum class InstructionSet {
    sse2,    // x86-64 baseline, 4 floats per register: the portable fallback
    avx2,    // AVX2 with FMA, 8 floats
    avx512,  // AVX-512 F/CD/DQ/BW, 16 floats
};

// The set the kernels use now.
InstructionSet active_instruction_set();
// The sets this CPU can run, best first.
std::vector<InstructionSet> available_instruction_sets();
// Makes the kernels use `set`; throws std::invalid_argument when this CPU cannot run it.
void set_instruction_set(InstructionSet set);
// "avx512", "avx2", "sse2": the spelling SMALLNET_SIMD accepts.
std::string_view instruction_set_name(InstructionSet set);
InstructionSet parse_instruction_set(std::string_view name);

// Bf16InstructionSet: what runs the bf16 products (Precision::bf16). There is no fp32 fallback: without
// one they throw std::runtime_error naming the missing instruction set.
enum class Bf16InstructionSet {
    none,         // the CPU lacks AVX512_BF16, or a set below avx512 is active (forced, as for tests)
    avx512_bf16,  // vdpbf16ps: pairs of bf16 products summed into fp32 lanes, 32 per instruction
    amx_bf16,     // AMX tiles (tdpbf16ps): 16 x 16 fp32 sums of 32 bf16 products each, per instruction;
                  // products of one row and with k == 1 still run on avx512_bf16
};

// The best set this CPU runs and Linux grants (AMX needs arch_prctl(ARCH_REQ_XCOMP_PERM), asked for once
// per process here), unless a lower one is forced by the environment variable SMALLNET_BF16 (amx_bf16,
// avx512_bf16) or set_bf16_instruction_set(); none whenever the active set is below avx512. Sums are
// rounded differently by each set, so results differ between them, not between thread counts.
Bf16InstructionSet bf16_instruction_set();
// The sets this CPU runs with avx512 active, best first; empty without AVX512_BF16.
std::vector<Bf16InstructionSet> available_bf16_instruction_sets();
// Makes bf16 products use `set`; throws std::invalid_argument when this CPU cannot run it (none is
// not a choice: force a set below avx512 with set_instruction_set for that).
void set_bf16_instruction_set(Bf16InstructionSet set);
// "amx_bf16", "avx512_bf16", "none": the spelling SMALLNET_BF16 accepts (but none).
std::string_view instruction_set_name(Bf16InstructionSet set);
Bf16InstructionSet parse_bf16_instruction_set(std::string_view name);

}  // namespace smallnet
