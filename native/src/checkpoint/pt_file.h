// Files in PyTorch's own serialisation format (what Python's torch.save writes
// and torch.load reads: a zip archive holding data.pkl and one record per
// tensor storage). Writing streams the archive straight into the file while
// hashing it, so no second in-memory copy of a multi-gigabyte checkpoint is
// made; tensors on a GPU are copied to the host one at a time.
#pragma once

#include <ATen/core/ivalue.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace moe::checkpoint {

struct WrittenFile {
  std::uint64_t bytes = 0;
  std::string sha1;
};

// Writes `value` (a dict of str -> tensors/ints/floats/strings) to `path`,
// fsyncs it and returns its size and SHA-1. The layout is torch::pickle_save's
// with untagged containers, so Python's torch.load reads it with its default
// weights_only=True (checked by the end-to-end tests).
WrittenFile write_pt_file(const std::string& path, const c10::IValue& value);

// Dict of name -> tensor (all tensors are made contiguous on the CPU first).
c10::IValue tensor_dict(const std::vector<std::pair<std::string, at::Tensor>>& tensors);

// Reads a file written by write_pt_file or torch.save. Throws std::runtime_error.
c10::IValue read_pt_file(const std::string& path);

// A str -> Tensor dict from read_pt_file; throws when entries are not tensors.
std::map<std::string, at::Tensor> as_tensor_map(const c10::IValue& value, const std::string& origin);

}  // namespace moe::checkpoint
