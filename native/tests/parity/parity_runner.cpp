// Test program for the Hugging Face parity check (jetmoe_parity.py): loads HF
// weights and a batch written by torch.save, runs moetrain's model in fp32 and
// writes logits, losses, router counts and gradients with torch::pickle_save.
//
// usage: jetmoe_parity_runner --weights W.pt --batch B.pt --out O.pt [--forward-only]
//                             [--flags-file F] [model flags...]
//   --device=cpu|cuda and --dtype=float32|bfloat16 (the trainer's own flags)
//   choose where and in which precision the model runs; results come back on the CPU.
//   W.pt is a dict of HF names -> tensors (a checkpoint's model.pt works, with
//   its config.flags as --flags-file).
//   B.pt holds {"input_ids": [B,T] int64, "labels": [B,T] int64}.
//   O.pt holds logits, lm_loss, router_loss, counts/<layer>/<kind>,
//   grad_lm/<param> (d lm_loss) and grad_total/<param> (d (lm_loss + router_loss));
//   with --forward-only no gradients.
#include <iostream>
#include <string>
#include <vector>

#include "config/flags.h"
#include "model/transformer.h"
#include "model/weights_io.h"
#include "train/device.h"

namespace {

std::vector<std::pair<std::string, at::Tensor>> gradients(moe::model::JetMoeCausalLM& model,
                                                          const std::string& prefix) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& p : model->named_parameters()) {
    at::Tensor g = p.value().grad();
    out.emplace_back(prefix + p.key(), g.defined() ? g.clone() : at::zeros_like(p.value()));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace moe;
  std::string weights, batch, out_path;
  config::ConfigRequest request;
  bool forward_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto take = [&](std::string& dst) {
      if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
      dst = argv[++i];
    };
    if (arg == "--weights")
      take(weights);
    else if (arg == "--batch")
      take(batch);
    else if (arg == "--out")
      take(out_path);
    else if (arg == "--forward-only")
      forward_only = true;
    else if (arg == "--flags-file") {
      std::string path;
      take(path);
      request.flags_file = path;
    } else if (arg.rfind("--", 0) == 0) {
      const auto eq = arg.find('=');
      if (eq == std::string::npos) {
        request.command_line.push_back({arg.substr(2), std::nullopt, "command line"});
      } else {
        request.command_line.push_back({arg.substr(2, eq - 2), arg.substr(eq + 1), "command line"});
      }
    } else {
      std::cerr << "unexpected argument " << arg << "\n";
      return 2;
    }
  }
  if (weights.empty() || batch.empty() || out_path.empty()) {
    std::cerr << "usage: jetmoe_parity_runner --weights W.pt --batch B.pt --out O.pt [model flags]\n";
    return 2;
  }
  try {
    const config::ResolvedConfig resolved = config::resolve_config(request);
    model::JetMoeCausalLM model(resolved.config.model);
    model::load_parameters(*model, model::load_tensor_dict(weights));
    const train::DeviceSetup device = train::resolve_device(resolved.config, dist::ParallelContext{});
    model->to(device.device, device.param_dtype);

    const model::TensorDict inputs = model::load_tensor_dict(batch);
    const at::Tensor ids = inputs.at("input_ids").to(device.device);  // [B, T]
    const at::Tensor labels = inputs.at("labels").to(device.device);  // [B, T]

    std::vector<std::pair<std::string, at::Tensor>> results;
    model::CausalLMOutput out = model->forward(ids, labels);
    results.emplace_back("logits", out.logits.detach());
    results.emplace_back("lm_loss", out.lm_loss.detach());
    results.emplace_back("router_loss", out.router_loss.detach());
    for (const auto& s : out.router_stats) {
      results.emplace_back("counts/" + std::to_string(s.layer) + "/" + model::to_string(s.kind), s.counts);
    }
    if (forward_only) {
      model::save_tensor_dict(out_path, results);
      return 0;
    }
    out.lm_loss.backward();
    auto lm_grads = gradients(model, "grad_lm/");
    results.insert(results.end(), lm_grads.begin(), lm_grads.end());

    model->zero_grad();
    model::CausalLMOutput again = model->forward(ids, labels);
    again.loss.backward();
    auto total_grads = gradients(model, "grad_total/");
    results.insert(results.end(), total_grads.begin(), total_grads.end());

    model::save_tensor_dict(out_path, results);
  } catch (const config::ConfigError& e) {
    std::cerr << "jetmoe_parity_runner: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "jetmoe_parity_runner: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
