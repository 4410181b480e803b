#pragma once
// CSV tables of numbers (training history, latent codes, 2-D points) for plotting elsewhere.

#include <filesystem>
#include <string>
#include <vector>

namespace smallnet {

struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::vector<double>> rows;  // each as long as the header
};

// RFC 4180 text: header fields quoted when they hold a comma, a quote or a line break; numbers as
// "%.9g" (enough digits to give back every float exactly; nan and inf as printf writes them); '\n'
// line ends. Atomic. Throws FileError naming the first row whose length differs from the header's.
void save_csv(const std::filesystem::path& path, const CsvTable& table);

// The same table as text; throws std::invalid_argument for a row whose length differs from the header's.
std::string csv_text(const CsvTable& table);

}  // namespace smallnet
