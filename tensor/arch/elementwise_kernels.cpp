#include "tensor/arch/elementwise_kernels.hpp"

namespace smallnet::arch {

const ElementwiseKernels& elementwise_kernels(InstructionSet set) {
    switch (set) {
        case InstructionSet::avx512: return avx512::elementwise_table;
        case InstructionSet::avx2: return avx2::elementwise_table;
        case InstructionSet::sse2: return sse2::elementwise_table;
    }
    return sse2::elementwise_table;
}

const ElementwiseKernels& elementwise_kernels() { return elementwise_kernels(active_instruction_set()); }

}  // namespace smallnet::arch
