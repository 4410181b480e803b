#pragma once
// InstructionSet: the SIMD instruction set the kernels run with, chosen at run time.
//
// One built library carries every kernel compiled once per instruction set; at start-up the best
// one this CPU runs is chosen (through xsimd's dispatch). The environment variable SMALLNET_SIMD
// (avx512, avx2 or sse2) or set_instruction_set() forces a lower one, so every path can be tested.

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

}  // namespace smallnet
