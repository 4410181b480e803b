// The program the distributed tests run under mpirun (tests/distributed/processes_test.cpp): fits a
// small model with Dropout, Gaussian noise, a metric and a validation split on seeded data, then
// evaluates and predicts; process 0 writes every result bit for bit (weights, history, evaluation,
// predictions) to the file given, atomically.
//
//   fit_on_processes <out file> <row blocks> [fail <process> | nan]
//
// "fail 1": process 1 throws before fit (as a bad data path would); "nan": the data holds a value so
// large that the loss overflows, which every process sees at the same step.
#include <cstdio>
#include <cstring>
#include <span>
#include <string>

#include "nn/io/atomic_file.hpp"
#include "nn/nn.hpp"
#include "nn/program.hpp"

using namespace smallnet;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: fit_on_processes <out file> <row blocks> [fail <process> | nan]\n");
        return exit_usage_error;
    }
    const std::string out = argv[1];
    const int row_blocks = std::stoi(argv[2]);
    const std::string mode = argc > 3 ? argv[3] : "";
    return run_program("fit_on_processes", [&] {
        if (mode == "fail" && argc > 4 && process_rank() == std::stoi(argv[4]))
            throw std::runtime_error("process " + std::to_string(process_rank()) + " cannot read its data (on purpose)");
        Generator generator(5);
        Tensor values = uniform(Shape{230, 12}, 0.0f, 1.0f, generator);
        if (mode == "nan") values.data()[7 * 12 + 3] = 3e38f;
        const Data x(values);
        Sequential model({Input(12), Dense(16, "relu"), Dropout(0.25f), GaussianNoise(0.1f), Dense(12, "sigmoid")}, "small", 3);
        model.compile(Adam({.learning_rate = 0.01f}), "bce", {.metrics = {"binary_accuracy"}});
        const History history =
            model.fit(x, x, {.epochs = 3, .batch_size = 32, .validation_split = 0.2, .verbose = 0, .seed = 9, .row_blocks = row_blocks});
        const Sequential::Evaluation evaluation = model.evaluate_parts(x, x, 50);
        const Tensor predictions = model.predict(x, 40);
        if (process_rank() != 0) return;
        std::string text;
        const auto put = [&](const std::string& name, double value) {
            char line[128];
            std::snprintf(line, sizeof line, "%s %a\n", name.c_str(), value);
            text += line;
        };
        for (const EpochLogs& logs : history.epochs) {
            put("loss", logs.loss);
            put("val_loss", logs.val_loss.value_or(-1.0));
            for (const auto& [name, value] : logs.values) put(name, value);
        }
        put("evaluate", evaluation.loss);
        for (const auto& [name, value] : evaluation.values) put("evaluate " + name, value);
        const Tensor weights = model.weights();
        for (std::int64_t i = 0; i < weights.numel(); ++i) put("w", weights.data()[i]);
        for (std::int64_t i = 0; i < predictions.numel(); ++i) put("p", predictions.data()[i]);
        write_file_atomically(out, std::as_bytes(std::span<const char>(text.data(), text.size())));
    });
}
