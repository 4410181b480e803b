#pragma once
// OutputFolder: a run's output files, put in place together. Each output is written (atomically, as
// every file) into a staging folder inside the output folder, and commit() then moves them all into
// place: a run that fails before that leaves the previous run's files whole, removes what it staged,
// and says which files were kept. Nothing is created before the first output is written, so a run
// that fails on its data leaves no empty folder behind.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "nn/io/pending_removal.hpp"

namespace smallnet {

class OutputFolder {
public:
    // Checks that `folder` can be written (it exists and takes a file, or its nearest existing parent
    // is a writable folder); creates nothing. `expected`: the files the run writes, named in the error
    // note of a failed run.
    explicit OutputFolder(std::filesystem::path folder, std::vector<std::string> expected = {});
    // Not committed: after a stop request (Ctrl-C, nn/interrupt.hpp) what is staged is put in place,
    // as it holds what was trained; after a failure it is removed, with the folders this run created.
    ~OutputFolder();
    OutputFolder(const OutputFolder&) = delete;
    OutputFolder& operator=(const OutputFolder&) = delete;

    // Where to write the output `name`: a path in the staging folder (created, with the output
    // folder, on first use).
    std::filesystem::path file(const std::string& name);
    // Moves every staged file into place (in the order they were staged), flushes the folder and
    // removes the staging folder. FileError names what was and was not moved if a rename fails.
    void commit();

    const std::filesystem::path& path() const { return folder_; }
    // The names staged so far (after commit: the files written).
    const std::vector<std::string>& files() const { return staged_; }

private:
    void create();
    void discard() noexcept;

    std::filesystem::path folder_, staging_;
    std::vector<std::string> expected_, staged_;
    std::vector<PendingRemoval> pending_;  // the staged files, the staging folder, the folders created
    std::vector<std::filesystem::path> created_;  // deepest first
    bool committed_ = false;
};

}  // namespace smallnet
