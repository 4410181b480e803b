#include "nn/interrupt.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

#include "nn/io/pending_removal.hpp"

namespace smallnet {

namespace {

std::atomic<int> requested_signal{0};

static_assert(std::atomic<int>::is_always_lock_free, "the signal handler must not wait on a lock");

const char* signal_name(int signal) { return signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "a signal"; }

// Only async-signal-safe calls: an atomic exchange, write, unlink/rmdir (through
// remove_pending_paths_now) and _exit.
extern "C" void on_stop_signal(int signal) {
    int none = 0;
    if (requested_signal.compare_exchange_strong(none, signal)) {
        const char* text = signal == SIGTERM
                               ? "\nSIGTERM: stopping at the end of the current step (send it again to stop at once)\n"
                               : "\nCtrl-C: stopping at the end of the current step (Ctrl-C again to stop at once)\n";
        [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
        return;
    }
    remove_pending_paths_now();
    const char* text = "\nstopped at once; temporary files removed\n";
    [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
    ::_exit(exit_code_for_signal(signal));
}

}  // namespace

void install_interrupt_handlers() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    // SA_RESTART: a read or write in progress carries on rather than failing with EINTR.
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() { return requested_signal.load(std::memory_order_relaxed) != 0; }

int stop_signal() { return requested_signal.load(std::memory_order_relaxed); }

void request_stop(int signal) {
    int none = 0;
    requested_signal.compare_exchange_strong(none, signal);
}

void clear_stop_request() { requested_signal.store(0); }

int exit_code_for_signal(int signal) { return 128 + signal; }

Interrupted::Interrupted(int signal, const std::string& where)
    : std::runtime_error(std::string("interrupted (") + signal_name(signal) + ") " + where), signal_(signal) {}

void throw_if_stop_requested(const std::string& where) {
    if (const int signal = stop_signal(); signal != 0) throw Interrupted(signal, where);
}

void throw_if_interrupted(const History& history) {
    if (!history.interrupted) return;
    const int signal = stop_signal() != 0 ? stop_signal() : SIGINT;
    if (history.steps_trained == 0) throw Interrupted(signal, "before the first training step; nothing was trained");
    throw Interrupted(signal, history.interrupted->describe());
}

}  // namespace smallnet
