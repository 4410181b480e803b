// FlushToZero: while alive, the calling thread's float arithmetic treats subnormal inputs and results
// as zero (MXCSR's DAZ and FTZ bits); the thread's previous mode comes back when it ends.
//
// For the optimizer steps: a weight whose gradient has stopped (a dead unit, a pixel that is always
// 0) has moments that decay geometrically into the subnormal range, and each subnormal operand costs
// a microcode assist of a hundred cycles or more. On the Intel Xeon (AMX), fp32 on 2 threads, the MNIST
// job's optimizer step took 520-550 us instead of 145-160 (mnist_training's update_us), and its
// epochs grew 25% slower from the third on. Flushed, a moment below FLT_MIN (1.2e-38) changes
// its weight by at most lr * 1e-31: nothing a float weight can register.
#pragma once

#include <xmmintrin.h>

namespace smallnet::detail {

class FlushToZero {
public:
    FlushToZero() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | flush_bits); }
    ~FlushToZero() { _mm_setcsr(saved_); }
    FlushToZero(const FlushToZero&) = delete;
    FlushToZero& operator=(const FlushToZero&) = delete;

private:
    static constexpr unsigned int flush_bits = 0x8040;  // FTZ (bit 15) and DAZ (bit 6)
    unsigned int saved_;
};

}  // namespace smallnet::detail
