#pragma once
// CSV tables of numbers (training history, latent codes, 2-D points, results by name) for plotting
// elsewhere.

#include <filesystem>
#include <string>
#include <vector>

namespace smallnet {

struct CsvTable {
    std::vector<std::string> header{};
    std::vector<std::vector<double>> rows{};  // each as long as the header, less the text columns
    // Optional text columns first (a row's names: "autoencoder codes", "softmax regression"): when not
    // empty, one vector of texts per row, each as long as the others; the header names them first.
    std::vector<std::vector<std::string>> texts{};
};

// RFC 4180 text: header fields quoted when they hold a comma, a quote or a line break; numbers as
// "%.9g" (enough digits to give back every float exactly; nan and inf as printf writes them); '\n'
// line ends. Atomic. Throws FileError naming the first row whose length differs from the header's.
void save_csv(const std::filesystem::path& path, const CsvTable& table);

// The same table as text; throws std::invalid_argument for a row whose length differs from the header's.
std::string csv_text(const CsvTable& table);

}  // namespace smallnet
