// TCPStore rendezvous and the Gloo process group.
#include "dist/process_group.h"

#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(USE_C10D_GLOO) && __has_include(<gloo/config.h>)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#define MOETRAIN_HAS_GLOO 1
#endif

namespace moe::dist {

// Defined here only: the rest of the trainer holds it through ParallelContext.
struct ProcessGroupHandle {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;
};

bool gloo_available() {
#ifdef MOETRAIN_HAS_GLOO
  return true;
#else
  return false;
#endif
}

namespace {

c10d::Backend& backend_of(const ParallelContext& c) {
  if (!c.process_group || !c.process_group->backend) {
    throw std::logic_error("dist: " + c.describe() + " has no process group; call connect_process_group first");
  }
  return *c.process_group->backend;
}

}  // namespace

void connect_process_group(ParallelContext& c, std::chrono::milliseconds timeout) {
  if (!c.distributed() || c.process_group) return;
#ifndef MOETRAIN_HAS_GLOO
  throw std::runtime_error(
      "this moetrain was built without Gloo (no <gloo/...> headers), so processes cannot talk to each other; install "
      "libgloo-dev (Debian/Ubuntu) and rebuild with native/scripts/build.sh");
#else
  const std::string where = c.master_addr + ":" + std::to_string(c.master_port);
  auto handle = std::make_shared<ProcessGroupHandle>();
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(c.master_port);
    options.isServer = c.rank == 0 && !c.agent_store;
    options.numWorkers = static_cast<std::size_t>(c.world_size);
    options.waitWorkers = false;  // the process group's own rendezvous waits for everyone
    options.timeout = timeout;
    options.multiTenant = !c.agent_store;
    const auto tcp = c10::make_intrusive<c10d::TCPStore>(c.master_addr, options);
    // A restarted group must not read the keys of the attempt before.
    handle->store = c10::make_intrusive<c10d::PrefixStore>("moetrain/" + std::to_string(c.restart_count) + "/", tcp);

    auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
    // GLOO_SOCKET_IFNAME, as in PyTorch, picks the network interface; else this host's address.
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname != nullptr && *ifname != '\0') {
      gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    } else {
      gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    handle->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(handle->store, static_cast<int>(c.rank),
                                                                  static_cast<int>(c.world_size), gloo_options);
  } catch (const std::exception& e) {
    throw std::runtime_error("dist: " + c.describe() + " could not join its process group at " + where + " (" +
                             e.what() + "); check that every rank was started, that MASTER_ADDR is reachable from " +
                             "this node and MASTER_PORT is free on the first one");
  }
  c.process_group = std::move(handle);
#endif
}

void all_reduce_sum(const ParallelContext& c, at::Tensor& tensor) {
  if (!c.distributed()) return;
  std::vector<at::Tensor> tensors = {tensor};
  c10d::AllreduceOptions options;
  options.reduceOp = c10d::ReduceOp::SUM;
  backend_of(c).allreduce(tensors, options)->wait();
}

void all_reduce_mean(const ParallelContext& c, const std::vector<at::Tensor>& tensors, std::int64_t bucket_bytes) {
  if (!c.distributed() || tensors.empty()) return;
  const double world = static_cast<double>(c.world_size);
  std::size_t i = 0;
  while (i < tensors.size()) {
    // One bucket: consecutive tensors of one dtype and device, up to bucket_bytes (at least one tensor).
    std::vector<at::Tensor> flat;
    std::int64_t bytes = 0;
    const at::ScalarType dtype = tensors[i].scalar_type();
    const at::Device device = tensors[i].device();
    std::size_t j = i;
    while (j < tensors.size() && tensors[j].scalar_type() == dtype && tensors[j].device() == device &&
           (j == i || bytes + static_cast<std::int64_t>(tensors[j].nbytes()) <= bucket_bytes)) {
      flat.push_back(tensors[j].reshape({-1}));
      bytes += static_cast<std::int64_t>(tensors[j].nbytes());
      ++j;
    }
    if (j == i + 1 && tensors[i].is_contiguous()) {  // a bucket of one: reduced where it lies
      at::Tensor only = tensors[i];
      all_reduce_sum(c, only);
      only.div_(world);
      i = j;
      continue;
    }
    at::Tensor bucket = at::cat(flat);
    all_reduce_sum(c, bucket);
    bucket.div_(world);
    std::int64_t offset = 0;
    for (std::size_t k = i; k < j; ++k) {
      const std::int64_t n = tensors[k].numel();
      tensors[k].copy_(bucket.narrow(0, offset, n).view(tensors[k].sizes()));
      offset += n;
    }
    i = j;
  }
}

std::int64_t all_reduce_max(const ParallelContext& c, std::int64_t value) {
  if (!c.distributed()) return value;
  std::vector<at::Tensor> tensors = {at::full({1}, value, at::kLong)};
  c10d::AllreduceOptions options;
  options.reduceOp = c10d::ReduceOp::MAX;
  backend_of(c).allreduce(tensors, options)->wait();
  return tensors.front().item<std::int64_t>();
}

void barrier(const ParallelContext& c) {
  if (!c.distributed()) return;
  backend_of(c).barrier()->wait();
}

}  // namespace moe::dist
