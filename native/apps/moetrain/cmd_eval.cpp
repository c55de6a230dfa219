// `moetrain eval --checkpoint DIR`: held-out loss and perplexity of a
// checkpoint, configured by its own config.flags plus command-line overrides.
#include <cmath>
#include <cstdio>
#include <ostream>

#include "cli.h"
#include "metrics/records.h"
#include "train/eval_checkpoint.h"
#include "util/fs.h"
#include "util/json_writer.h"

namespace moe::cli {

int run_eval(const ParsedArgs& args, std::ostream& out) {
  const auto it = args.options.find("checkpoint");
  if (it == args.options.end() || it->second.empty()) {
    throw config::ConfigError("checkpoint", "`moetrain eval` needs a checkpoint",
                              "pass --checkpoint <run-dir>/checkpoints/step-N");
  }
  const std::string dir = it->second;
  if (args.request.preset || args.request.flags_file) {
    throw config::ConfigError(args.request.preset ? "preset" : "flags-file",
                              "eval takes its configuration from the checkpoint's config.flags",
                              "pass only the flags to override, e.g. --val-data=PATH --val-tokens=N");
  }
  if (!util::is_directory(dir) || !util::exists(dir + "/config.flags")) {
    throw config::ConfigError("checkpoint", "'" + dir + "' is not a checkpoint directory (no config.flags)",
                              "pass a <run-dir>/checkpoints/step-N directory");
  }
  config::ConfigRequest request;
  request.flags_file = dir + "/config.flags";
  request.command_line = args.request.command_line;
  request.presets_dir = args.request.presets_dir;
  const config::ResolvedConfig resolved = config::resolve_config(request);
  const train::EvalReport r = train::evaluate_checkpoint(resolved.config, dir);

  if (args.json) {
    util::JsonWriter json(out);
    json.begin_object();
    json.key("checkpoint").value(r.checkpoint);
    json.key("step").value(static_cast<long long>(r.step));
    json.key("tokens").value(static_cast<long long>(r.tokens));
    json.key("loss").value(r.loss);
    json.key("ppl").value(std::exp(r.loss));
    json.key("tokens_evaluated").value(static_cast<long long>(r.tokens_evaluated));
    metrics::write_loss_map(json, "by_domain", r.by_domain);
    if (!r.by_source.empty()) metrics::write_loss_map(json, "by_source", r.by_source);
    json.key("data").value(r.data);
    json.key("device").value(r.device);
    json.end_object();
    out << "\n";
    return kExitOk;
  }
  char line[160];
  std::snprintf(line, sizeof(line), "step %lld: loss %.4f  ppl %.3f  over %lld tokens\n",
                static_cast<long long>(r.step), r.loss, std::exp(r.loss), static_cast<long long>(r.tokens_evaluated));
  out << "checkpoint " << r.checkpoint << "\n" << line << "data: " << r.data << "\n";
  for (const auto& [name, loss] : r.by_domain) {
    std::snprintf(line, sizeof(line), "  %-12s loss %.4f  ppl %.3f\n", name.c_str(), loss, std::exp(loss));
    out << line;
  }
  for (const auto& [name, loss] : r.by_source) {
    out << "  source " << name;
    std::snprintf(line, sizeof(line), "  loss %.4f  ppl %.3f\n", loss, std::exp(loss));
    out << line;
  }
  return kExitOk;
}

}  // namespace moe::cli
