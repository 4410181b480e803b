#pragma once
// Worker-thread control for every parallel kernel, built on oneTBB's global_control.
//
// The default is one worker per core. The environment variable SMALLNET_NUM_THREADS sets the count at
// start-up; set_num_threads() changes it later. Results never depend on the count: kernels split
// their outputs between threads, never a sum.

namespace smallnet {

// Sets the number of worker threads; 0 restores the default (the machine's core count). Asking for
// more threads than cores is allowed (it is how the tests check determinism on a small machine).
void set_num_threads(int count);
// The number of worker threads parallel kernels use now.
int num_threads();

}  // namespace smallnet
