#include "tensor/simd.hpp"

#include <atomic>
#include <cpuid.h>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <xsimd/xsimd.hpp>

namespace smallnet {

namespace {

// xsimd's dispatch walks this list best-first and calls the overload of the first set the CPU has.
struct InstructionSetOf {
    InstructionSet operator()(xsimd::avx512bw) const { return InstructionSet::avx512; }
    InstructionSet operator()(xsimd::fma3<xsimd::avx2>) const { return InstructionSet::avx2; }
    InstructionSet operator()(xsimd::sse2) const { return InstructionSet::sse2; }
};

InstructionSet best_instruction_set() {
    using candidates = xsimd::arch_list<xsimd::avx512bw, xsimd::fma3<xsimd::avx2>, xsimd::sse2>;
    return xsimd::dispatch<candidates>(InstructionSetOf{})();
}

InstructionSet initial_instruction_set() {
    const InstructionSet best = best_instruction_set();
    const char* forced = std::getenv("SMALLNET_SIMD");
    if (!forced || !*forced) return best;
    const InstructionSet wanted = parse_instruction_set(forced);
    if (static_cast<int>(wanted) > static_cast<int>(best))
        throw std::runtime_error("SMALLNET_SIMD=" + std::string(forced) + ": this CPU runs at most " +
                                 std::string(instruction_set_name(best)));
    return wanted;
}

std::atomic<InstructionSet>& active() {
    static std::atomic<InstructionSet> set{initial_instruction_set()};
    return set;
}

}  // namespace

InstructionSet active_instruction_set() { return active().load(std::memory_order_relaxed); }

std::vector<InstructionSet> available_instruction_sets() {
    std::vector<InstructionSet> sets;
    for (int s = static_cast<int>(best_instruction_set()); s >= 0; --s) sets.push_back(static_cast<InstructionSet>(s));
    return sets;
}

void set_instruction_set(InstructionSet set) {
    if (static_cast<int>(set) > static_cast<int>(best_instruction_set()))
        throw std::invalid_argument("set_instruction_set: this CPU cannot run " +
                                    std::string(instruction_set_name(set)));
    active().store(set, std::memory_order_relaxed);
}

std::string_view instruction_set_name(InstructionSet set) {
    switch (set) {
        case InstructionSet::sse2: return "sse2";
        case InstructionSet::avx2: return "avx2";
        case InstructionSet::avx512: return "avx512";
    }
    return "unknown";
}

namespace {

// CPUID leaf 7, sub-leaf 1, EAX bit 5: AVX512_BF16. The OS's support for the AVX-512 register state,
// which it also needs, is checked by xsimd for the avx512 set.
bool cpu_has_avx512_bf16() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return false;
    return (eax & (1u << 5)) != 0;
}

}  // namespace

Bf16InstructionSet bf16_instruction_set() {
    static const bool has_avx512_bf16 = cpu_has_avx512_bf16();
    return has_avx512_bf16 && active_instruction_set() == InstructionSet::avx512 ? Bf16InstructionSet::avx512_bf16
                                                                                 : Bf16InstructionSet::none;
}

std::string_view instruction_set_name(Bf16InstructionSet set) {
    switch (set) {
        case Bf16InstructionSet::none: return "none";
        case Bf16InstructionSet::avx512_bf16: return "avx512_bf16";
    }
    return "unknown";
}

InstructionSet parse_instruction_set(std::string_view name) {
    for (InstructionSet set : {InstructionSet::sse2, InstructionSet::avx2, InstructionSet::avx512})
        if (name == instruction_set_name(set)) return set;
    throw std::invalid_argument("unknown instruction set '" + std::string(name) + "' (expected avx512, avx2 or sse2)");
}

}  // namespace smallnet
