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
// it they throw std::runtime_error naming the missing instruction set. AMX tiles are not used yet.
enum class Bf16InstructionSet {
    none,         // the CPU lacks AVX512_BF16, or a set below avx512 is active (forced, as for tests)
    avx512_bf16,  // vdpbf16ps: pairs of bf16 products summed into fp32 lanes, 32 per instruction
};

// avx512_bf16 when this CPU has AVX512_BF16 (cpuid) and avx512 is the active set; else none.
Bf16InstructionSet bf16_instruction_set();
// "avx512_bf16", "none".
std::string_view instruction_set_name(Bf16InstructionSet set);

}  // namespace smallnet
