// Streaming torch.save-format writer on top of LibTorch's Pickler and
// PyTorchStreamWriter (the same pieces torch::pickle_save uses, with the
// archive sent to a file instead of a vector).
#include "checkpoint/pt_file.h"

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/csrc/jit/serialization/pickler.h>

#include <stdexcept>

#include "util/fs.h"

namespace moe::checkpoint {

WrittenFile write_pt_file(const std::string& path, const c10::IValue& value) {
  std::vector<char> pickle_bytes;
  // Untagged containers: type tags (torch.jit._pickle.restore_type_tag) would
  // make Python's default torch.load(weights_only=True) refuse the file.
  torch::jit::Pickler pickler(
      [&](const char* buf, std::size_t size) { pickle_bytes.insert(pickle_bytes.end(), buf, buf + size); },
      /*tensor_table=*/nullptr, /*type_renamer=*/nullptr, /*memoized_class_types=*/nullptr,
      /*get_tensor_id=*/nullptr, /*tag_aggregates=*/false);
  pickler.protocol();
  pickler.pushIValue(value);
  pickler.stop();

  util::DurableFileWriter file(path);
  {
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, std::size_t size) -> std::size_t {
      file.write(data, size);
      return size;
    });
    torch::jit::writeArchiveAndTensors("data", pickle_bytes.data(), pickle_bytes.size(), pickler.tensorData(), writer);
    writer.writeEndOfFile();
  }
  WrittenFile out;
  out.bytes = file.bytes();
  out.sha1 = file.finish();
  return out;
}

c10::IValue tensor_dict(const std::vector<std::pair<std::string, at::Tensor>>& tensors) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, t] : tensors) dict.insert(name, t.detach().to(at::kCPU).contiguous());
  return dict;
}

c10::IValue read_pt_file(const std::string& path) {
  const std::string bytes = util::read_file(path);
  try {
    return torch::jit::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    throw std::runtime_error("'" + path + "' is not a readable PyTorch file: " + std::string(e.what()).substr(0, 300));
  }
}

std::map<std::string, at::Tensor> as_tensor_map(const c10::IValue& value, const std::string& origin) {
  if (!value.isGenericDict()) throw std::runtime_error("'" + origin + "' does not hold a dict");
  std::map<std::string, at::Tensor> out;
  for (const auto& item : value.toGenericDict()) {
    if (!item.key().isString() || !item.value().isTensor()) {
      throw std::runtime_error("'" + origin + "' holds an entry that is not str -> Tensor");
    }
    out.emplace(item.key().toStringRef(), item.value().toTensor());
  }
  return out;
}

}  // namespace moe::checkpoint
