// `moetrain version [--json]` and `moetrain --version`.
#include <ostream>

#include "cli.h"
#include "util/json_writer.h"
#include "util/runtime_info.h"

namespace moe::cli {

void print_version_line(std::ostream& out) {
  const util::RuntimeInfo info = util::query_runtime_info();
  out << "moetrain " << info.moetrain_version << " (libtorch " << info.libtorch_version << ", CUDA ";
  if (info.cuda_available) {
    const auto n = info.devices.size();
    out << "available: " << n << (n == 1 ? " device" : " devices");
  } else {
    out << "not available";
  }
  out << ")\n";
}

int run_version(const ParsedArgs& args, std::ostream& out) {
  if (!args.json) {
    print_version_line(out);
    return kExitOk;
  }
  const util::RuntimeInfo info = util::query_runtime_info();
  util::JsonWriter json(out);
  json.begin_object();
  json.key("moetrain").value(info.moetrain_version);
  json.key("libtorch").value(info.libtorch_version);
  json.key("cuda_built").value(info.cuda_built);
  json.key("cuda_available").value(info.cuda_available);
  json.key("cuda_version");
  if (info.cuda_built && !info.cuda_version.empty())
    json.value(info.cuda_version);
  else
    json.null();
  json.key("device_count").value(static_cast<long long>(info.devices.size()));
  json.key("devices").begin_array();
  for (const auto& d : info.devices) {
    json.begin_object();
    json.key("name").value(d.name);
    json.key("memory_bytes").value(static_cast<long long>(d.memory_bytes));
    json.key("capability").value(d.capability);
    json.end_object();
  }
  json.end_array();
  json.end_object();
  out << "\n";
  return kExitOk;
}

}  // namespace moe::cli
