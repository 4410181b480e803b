#include "tensor/simd.hpp"

#include <atomic>
#include <cpuid.h>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>
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

// AMX-BF16 and AMX-TILE (CPUID leaf 7, EDX bits 22 and 24), the tile state enabled by the OS (XCR0 bits
// 17 and 18), and the process's permission to use it, which Linux grants on request (without it the
// first tile instruction kills the process with SIGILL).
bool cpu_grants_amx_bf16() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    if ((edx & (1u << 22)) == 0 || (edx & (1u << 24)) == 0) return false;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || (ecx & (1u << 27)) == 0) return false;  // OSXSAVE
    unsigned xcr0_low = 0, xcr0_high = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & (3u << 17)) != (3u << 17)) return false;
    constexpr long request_permission = 0x1023;  // ARCH_REQ_XCOMP_PERM
    constexpr long tile_data = 18;               // XFEATURE_XTILEDATA
    return syscall(SYS_arch_prctl, request_permission, tile_data) == 0;
}

// The best bf16 set of this CPU, with avx512 active.
Bf16InstructionSet best_bf16_instruction_set() {
    static const Bf16InstructionSet best = [] {
        if (!cpu_has_avx512_bf16()) return Bf16InstructionSet::none;
        return cpu_grants_amx_bf16() ? Bf16InstructionSet::amx_bf16 : Bf16InstructionSet::avx512_bf16;
    }();
    return best;
}

Bf16InstructionSet initial_bf16_instruction_set() {
    const Bf16InstructionSet best = best_bf16_instruction_set();
    const char* forced = std::getenv("SMALLNET_BF16");
    if (!forced || !*forced) return best;
    const Bf16InstructionSet wanted = parse_bf16_instruction_set(forced);
    if (static_cast<int>(wanted) > static_cast<int>(best))
        throw std::runtime_error("SMALLNET_BF16=" + std::string(forced) + ": this CPU runs at most " +
                                 std::string(instruction_set_name(best)));
    return wanted;
}

std::atomic<Bf16InstructionSet>& chosen_bf16() {
    static std::atomic<Bf16InstructionSet> set{initial_bf16_instruction_set()};
    return set;
}

}  // namespace

Bf16InstructionSet bf16_instruction_set() {
    if (active_instruction_set() != InstructionSet::avx512) return Bf16InstructionSet::none;
    return chosen_bf16().load(std::memory_order_relaxed);
}

std::vector<Bf16InstructionSet> available_bf16_instruction_sets() {
    std::vector<Bf16InstructionSet> sets;
    for (int s = static_cast<int>(best_bf16_instruction_set()); s > 0; --s)
        sets.push_back(static_cast<Bf16InstructionSet>(s));
    return sets;
}

void set_bf16_instruction_set(Bf16InstructionSet set) {
    if (set == Bf16InstructionSet::none || static_cast<int>(set) > static_cast<int>(best_bf16_instruction_set()))
        throw std::invalid_argument("set_bf16_instruction_set: this CPU cannot run " +
                                    std::string(instruction_set_name(set)));
    chosen_bf16().store(set, std::memory_order_relaxed);
}

std::string_view instruction_set_name(Bf16InstructionSet set) {
    switch (set) {
        case Bf16InstructionSet::none: return "none";
        case Bf16InstructionSet::avx512_bf16: return "avx512_bf16";
        case Bf16InstructionSet::amx_bf16: return "amx_bf16";
    }
    return "unknown";
}

Bf16InstructionSet parse_bf16_instruction_set(std::string_view name) {
    for (Bf16InstructionSet set : {Bf16InstructionSet::avx512_bf16, Bf16InstructionSet::amx_bf16})
        if (name == instruction_set_name(set)) return set;
    throw std::invalid_argument("unknown bf16 instruction set '" + std::string(name) +
                                "' (expected amx_bf16 or avx512_bf16)");
}

InstructionSet parse_instruction_set(std::string_view name) {
    for (InstructionSet set : {InstructionSet::sse2, InstructionSet::avx2, InstructionSet::avx512})
        if (name == instruction_set_name(set)) return set;
    throw std::invalid_argument("unknown instruction set '" + std::string(name) + "' (expected avx512, avx2 or sse2)");
}

}  // namespace smallnet
