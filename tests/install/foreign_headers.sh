# Sourced by check.sh and headers.sh. The headers of smallnet's dependencies, which no installed
# header may include: smallnet.pc gives no flags for them and requires none of their packages, as the
# libraries use them privately. They live in /usr/include, so a compile here cannot show that a user
# without them would fail; the compiler's list of the headers it read (-MD) can.
foreign_headers='(plplot|plstream\.h|/stb/|stb_image|nlohmann|xsimd|/tbb/|oneapi/tbb|zlib\.h|zconf\.h|/CLI/|/fmt/)'

# foreign_headers_in DEPFILE: prints the dependencies' headers that DEPFILE lists; true if there are any.
foreign_headers_in() {
  grep -E -o "[^ ]*$foreign_headers[^ ]*" "$1"
}
