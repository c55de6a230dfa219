// torch.save-compatible tensor dictionaries via torch::pickle_load / pickle_save.
#include "model/weights_io.h"

#include <ATen/ATen.h>
#include <ATen/core/Dict.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/serialize.h>

#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>

namespace moe::model {

TensorDict load_tensor_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open tensor file '" + path + "'");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const c10::IValue value = torch::pickle_load(bytes);
  if (!value.isGenericDict()) throw std::runtime_error("'" + path + "' does not hold a dict of tensors");
  TensorDict out;
  for (const auto& item : value.toGenericDict()) {
    if (!item.key().isString() || !item.value().isTensor()) {
      throw std::runtime_error("'" + path + "' holds an entry that is not str -> Tensor");
    }
    out.emplace(item.key().toStringRef(), item.value().toTensor());
  }
  return out;
}

void save_tensor_dict(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, tensor] : tensors) dict.insert(name, tensor.detach().to(at::kCPU).contiguous());
  const std::vector<char> bytes = torch::pickle_save(dict);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write tensor file '" + path + "'");
}

void load_parameters(torch::nn::Module& module, const TensorDict& tensors, const std::vector<std::string>& ignore) {
  const auto params = module.named_parameters(/*recurse=*/true);
  std::vector<std::string> missing, shape_errors, unexpected;
  std::set<std::string> seen;
  for (const auto& item : params) {
    auto it = tensors.find(item.key());
    if (it == tensors.end()) {
      missing.push_back(item.key());
      continue;
    }
    seen.insert(item.key());
    if (it->second.sizes() != item.value().sizes()) {
      std::ostringstream msg;
      msg << item.key() << " (file " << it->second.sizes() << ", model " << item.value().sizes() << ")";
      shape_errors.push_back(msg.str());
    }
  }
  const std::set<std::string> ignored(ignore.begin(), ignore.end());
  for (const auto& [name, tensor] : tensors) {
    if (!seen.count(name) && !ignored.count(name)) unexpected.push_back(name);
  }
  if (!missing.empty() || !shape_errors.empty() || !unexpected.empty()) {
    std::ostringstream msg;
    msg << "parameter names or shapes do not match:";
    for (const auto& n : missing) msg << "\n  missing: " << n;
    for (const auto& n : unexpected) msg << "\n  unexpected: " << n;
    for (const auto& n : shape_errors) msg << "\n  shape mismatch: " << n;
    throw std::runtime_error(msg.str());
  }
  torch::NoGradGuard no_grad;
  for (const auto& item : params) {
    at::Tensor param = item.value();
    param.copy_(tensors.at(item.key()));
  }
}

}  // namespace moe::model
