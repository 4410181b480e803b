#include "nn/io/file_error.hpp"

#include <system_error>

namespace smallnet {

FileError::FileError(const std::filesystem::path& path, const std::string& why)
    : std::runtime_error(path.string() + ": " + why), path_(path) {}

FileError::FileError(const std::filesystem::path& path, std::uint64_t offset, const std::string& why)
    : std::runtime_error(path.string() + ": offset " + std::to_string(offset) + ": " + why), path_(path) {}

std::string system_error_text(int error_number) {
    return std::generic_category().message(error_number);
}

}  // namespace smallnet
