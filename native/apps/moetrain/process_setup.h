// Process-wide runtime settings for the compute subcommands (train, eval) that
// must be in place before LibTorch does any work (docs/trainer-cli.md, "Threads").
#pragma once

#include <string>

namespace moe::cli {

// For `train` and `eval`:
//  - OpenMP threads wait passively (OMP_WAIT_POLICY=PASSIVE) unless the caller
//    chose a policy. libgomp reads the variable only when it is loaded, so the
//    process re-executes itself once (same PID, same arguments) to apply it.
//    Spinning threads on a machine that also runs the workbench, a browser or a
//    compiler waste the cores the other intra-op thread is waiting for.
//  - glibc keeps freed memory for reuse instead of unmapping each large block,
//    so the activations of the next step do not page-fault in again.
// Does nothing for other subcommands. Returns only if it did not re-execute.
void prepare_compute_process(const std::string& subcommand, char** argv);

}  // namespace moe::cli
