// Tensor dictionaries on disk in PyTorch's own format: files written by Python's
// torch.save({name: tensor}) load here, and files saved here load with torch.load.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace moe::model {

using TensorDict = std::map<std::string, at::Tensor>;

// Reads a torch.save'd dict of str -> Tensor (values that are not tensors are rejected).
TensorDict load_tensor_dict(const std::string& path);

// Writes a dict readable by torch.load (tensors are copied to the CPU, contiguous).
void save_tensor_dict(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors);

// Copies `tensors` into the module's parameters by name, converting dtype and
// device. Throws std::runtime_error listing missing, unexpected and mis-shaped
// names; `ignore` names may be present without a matching parameter.
void load_parameters(torch::nn::Module& module, const TensorDict& tensors, const std::vector<std::string>& ignore = {});

}  // namespace moe::model
