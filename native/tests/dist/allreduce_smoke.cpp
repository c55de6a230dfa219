// Under torchrun: every rank builds its ParallelContext from the launcher's
// environment, joins the Gloo process group over the TCPStore and all-reduces
// a tensor; exit 0 only when every rank sees the right sum.
#include <ATen/ATen.h>

#include <chrono>
#include <iostream>

#include "dist/parallel_context.h"
#include "dist/process_group.h"

int main() {
  using namespace moe;
  std::string who = "rank ?";
  try {
    dist::ParallelContext context = dist::parallel_context_from_env(dist::launcher_environment());
    who = context.describe();
    if (!context.distributed()) {
      std::cerr << who << ": start this under torchrun with --nproc-per-node=2 or more\n";
      return 2;
    }
    dist::connect_process_group(context, std::chrono::seconds(60));
    // Rank r contributes r+1 (float64, exact) and a float32 vector; sums are W(W+1)/2.
    const double w = static_cast<double>(context.world_size), expected = w * (w + 1) / 2;
    at::Tensor exact = at::full({3}, static_cast<double>(context.rank + 1), at::kDouble);
    at::Tensor floats = at::arange(5, at::kFloat) * static_cast<float>(context.rank + 1);
    dist::all_reduce_sum(context, exact);
    dist::all_reduce_sum(context, floats);
    dist::barrier(context);
    const bool ok =
        exact.eq(expected).all().item<bool>() && floats.equal(at::arange(5, at::kFloat) * static_cast<float>(expected));
    std::cout << who << ": allreduce " << (ok ? "ok" : "WRONG") << " (sum " << exact[0].item<double>() << ", expected "
              << expected << "; agent store " << (context.agent_store ? "yes" : "no") << ")" << std::endl;
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << who << ": " << e.what() << std::endl;
    return 1;
  }
}
