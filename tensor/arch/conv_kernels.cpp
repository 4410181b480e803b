#include "tensor/arch/conv_kernels.hpp"

namespace smallnet::arch {

const ConvKernels& conv_kernels(InstructionSet set) {
    switch (set) {
        case InstructionSet::avx512: return avx512::conv_table;
        case InstructionSet::avx2: return avx2::conv_table;
        case InstructionSet::sse2: return sse2::conv_table;
    }
    return sse2::conv_table;
}

const ConvKernels& conv_kernels() { return conv_kernels(active_instruction_set()); }

}  // namespace smallnet::arch
