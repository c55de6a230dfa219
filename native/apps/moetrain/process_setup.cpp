// Process-wide runtime settings for train and eval (see process_setup.h).
#include "process_setup.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>

namespace moe::cli {

void prepare_compute_process(const std::string& subcommand, char** argv) {
  if (subcommand != "train" && subcommand != "eval") return;
  if (std::getenv("OMP_WAIT_POLICY") == nullptr && ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0) == 0) {
    ::execv("/proc/self/exe", argv);
    // Not re-executed (no /proc): continue with libgomp's default policy.
  }
  // Large tensors (logits, attention and expert activations) are allocated and
  // freed every step; serving them from the heap and never trimming it avoids
  // mmap/munmap and first-touch page faults in every step.
  ::mallopt(M_MMAP_MAX, 0);
  ::mallopt(M_TRIM_THRESHOLD, -1);
}

}  // namespace moe::cli
