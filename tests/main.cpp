// The doctest runner for every test suite; meson runs it once per suite (tests/meson.build).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
