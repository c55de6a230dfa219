// Checkpoint evaluation.
#include "train/eval_checkpoint.h"

#include "checkpoint/checkpoint.h"
#include "config/config_error.h"
#include "data/data_setup.h"
#include "model/transformer.h"
#include "model/weights_io.h"
#include "train/device.h"
#include "train/evaluate.h"

namespace moe::train {

EvalReport evaluate_checkpoint(const config::RunConfig& c, const std::string& dir) {
  DeviceSetup device = resolve_device(c, dist::ParallelContext{});  // one process
  const data::DataSetup data = data::open_data(c);
  if (data.val_parts.empty()) {
    throw config::ConfigError("val-tokens", "there is no validation data to evaluate on",
                              "set --val-tokens=N (synthetic data or the held-out tail of --data), or --val-data=PATH");
  }
  const checkpoint::Loaded loaded = checkpoint::load_checkpoint(dir, c.train.run.verify_checkpoints);
  apply_runtime_settings(device, c.train.training);
  model::JetMoeCausalLM model(c.model);
  model->to(device.device, device.param_dtype);
  model::load_parameters(*model, loaded.model);

  const EvalResult r = evaluate_parts(model, data.val_parts, data.by_source, c.train.training.micro_batch_size, device,
                                      /*interruptible=*/false);
  EvalReport report;
  report.checkpoint = dir;
  report.step = loaded.manifest.step;
  report.tokens = loaded.manifest.tokens;
  report.loss = r.loss;
  report.tokens_evaluated = r.tokens_evaluated;
  report.by_domain = r.by_domain;
  report.by_source = r.by_source;
  report.data = data.val_describe;
  report.device = device.name;
  return report;
}

}  // namespace moe::train
