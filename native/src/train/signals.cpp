// Async-signal-safe stop flag.
#include "train/signals.h"

#include <csignal>
#include <initializer_list>

namespace moe::train {

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

void on_signal(int signal) {
  if (g_stop_signal == 0) g_stop_signal = signal;
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action = {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int s : {SIGTERM, SIGINT, SIGUSR1}) sigaction(s, &action, nullptr);
}

int stop_signal() {
  return static_cast<int>(g_stop_signal);
}

const char* signal_name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    default: return "signal";
  }
}

}  // namespace moe::train
