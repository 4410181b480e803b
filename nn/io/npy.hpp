#pragma once
// .npy files (NumPy's format, TOOLCHAIN §7.2) for single float32 arrays: debug dumps and golden test
// vectors any Python can open with numpy.load.

#include <filesystem>
#include <string>

#include "tensor/tensor.hpp"

namespace smallnet {

// The version 1.0 header of a C-order '<f4' array of this shape: the magic, the version, the header
// length and the dict padded with spaces and a final '\n' to a multiple of 64 bytes.
std::string npy_header(const Shape& shape);

// Writes the tensor as a version 1.0 '<f4' C-order file, atomically.
void save_npy(const std::filesystem::path& path, const Tensor& tensor);

// Reads a version 1, 2 or 3 file holding a little-endian float32 ('<f4') C-order array of at most
// Shape::max_rank dimensions. Throws FileError for a bad magic or version, a malformed header, another
// dtype (named), Fortran order, a truncated payload or trailing bytes.
Tensor load_npy(const std::filesystem::path& path);

}  // namespace smallnet
