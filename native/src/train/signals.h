// Cooperative stop on SIGTERM, SIGINT and SIGUSR1 (a scheduler's warning
// before a time limit): the handler only records the signal; the training loop
// finishes the current step, writes a checkpoint and exits 0. Repeated signals
// while stopping are ignored (SIGKILL is the way to stop hard).
#pragma once

namespace moe::train {

void install_stop_handlers();
// The first stop signal received, or 0.
int stop_signal();
const char* signal_name(int signal);

}  // namespace moe::train
