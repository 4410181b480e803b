// Precompiled for every file of unit_tests: doctest, the standard headers most tests use and the
// framework's umbrella header are parsed once instead of 56 times (CI has 20 minutes on 2 cores).
// Each public header still compiles on its own: tests/install/headers.sh checks that.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/nn.hpp"
#include "tests/support.hpp"
