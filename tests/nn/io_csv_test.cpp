#include <cmath>
#include <limits>

#include "nn/io/csv.hpp"
#include "tests/nn/io_support.hpp"

using namespace smallnet;
using namespace smallnet::testing;

TEST_SUITE("nn.io_csv") {

TEST_CASE("a header line, then one line per row, numbers with 9 significant digits") {
    TemporaryFolder folder;
    const auto path = folder / "history.csv";
    CsvTable table;
    table.header = {"epoch", "loss", "accuracy"};
    table.rows = {{1, 0.123456789012, 0.5}, {2, 1e-10, 1.0f / 3.0f}, {3, -2.5e20, 100}};
    save_csv(path, table);
    CHECK(read_raw(path) ==
          "epoch,loss,accuracy\n"
          "1,0.123456789,0.5\n"
          "2,1e-10,0.333333343\n"
          "3,-2.5e+20,100\n");
    CHECK(folder.names() == std::vector<std::string>{"history.csv"});
}

TEST_CASE("every float survives the text exactly") {
    for (float value : {0.1f, 1.0f / 3.0f, 3.4028235e38f, 1.17549435e-38f, -7.006492e-45f, 16777217.0f}) {
        CsvTable table{{"x"}, {{value}}};
        const std::string text = csv_text(table);
        CHECK(std::strtof(text.c_str() + 2, nullptr) == value);
    }
}

TEST_CASE("header fields with commas, quotes or line breaks are quoted; nan and inf are written") {
    CsvTable table{{"plain", "a,b", "say \"hi\"", "two\nlines"},
                   {{std::nan(""), std::numeric_limits<double>::infinity(), -0.0, 0}}};
    CHECK(csv_text(table) == "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\nnan,inf,-0,0\n");
}

TEST_CASE("text columns come first, quoted as header fields are; their rows must match the numbers'") {
    CsvTable table{{"representation", "classifier", "accuracy"}, {{0.84}, {0.5}}, {{"raw pixels", "softmax"}, {"codes, 32", "mlp"}}};
    CHECK(csv_text(table) == "representation,classifier,accuracy\nraw pixels,softmax,0.84\n\"codes, 32\",mlp,0.5\n");
    table.texts.pop_back();
    CHECK_THROWS_AS(csv_text(table), std::invalid_argument);
    CsvTable ragged{{"name", "x"}, {{1}, {2}}, {{"a"}, {"b", "c"}}};
    CHECK_THROWS_AS(csv_text(ragged), std::invalid_argument);
}

TEST_CASE("a row of the wrong length is refused and nothing is written") {
    TemporaryFolder folder;
    const auto path = folder / "bad.csv";
    CsvTable table{{"x", "y"}, {{1, 2}, {3}}};
    CHECK(file_error_of([&] { save_csv(path, table); }) ==
          path.string() + ": row 1 has 1 values but the header has 2 columns");
    CHECK(folder.names().empty());
}

}  // TEST_SUITE
