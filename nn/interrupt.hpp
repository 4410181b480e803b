#pragma once
// Ctrl-C (SIGINT) and SIGTERM as Keras users expect them. After install_interrupt_handlers(), the
// first signal asks the run to stop: fit ends the current step and returns a History marked
// `interrupted`, and the program writes what has been trained before it exits 130 (143 for SIGTERM).
// A second signal stops the process at once, after removing its temporary and staged files
// (nn/io/pending_removal.hpp). Without the handlers installed nothing here has any effect.

#include <stdexcept>
#include <string>

#include "nn/history.hpp"

namespace smallnet {

// Installs the handlers for SIGINT and SIGTERM (a program calls it once, before its work).
void install_interrupt_handlers();

// Whether a stop was asked for, and by which signal (0: none).
bool stop_requested();
int stop_signal();
// What the first signal does; also for tests, which ask for a stop without a signal.
void request_stop(int signal);
void clear_stop_request();

// The exit code of a process stopped by `signal`, as a shell reports a death by it: 128 + signal.
int exit_code_for_signal(int signal);

// Thrown to end the program once a stop was asked for and what has been trained is written;
// run_program (nn/program.hpp) prints what() and exits with exit_code().
class Interrupted : public std::runtime_error {
public:
    Interrupted(int signal, const std::string& where);
    int signal() const { return signal_; }
    int exit_code() const { return exit_code_for_signal(signal_); }

private:
    int signal_;
};

// Throws Interrupted ("interrupted <where>") when a stop was asked for: for the places between a
// program's steps (after loading the data, between output files).
void throw_if_stop_requested(const std::string& where);
// Throws Interrupted when `history` says a stop ended fit: "interrupted (SIGINT) at epoch 2, step 31
// of 235" (or "before the first training step").
void throw_if_interrupted(const History& history);

}  // namespace smallnet
