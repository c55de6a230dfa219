// A writer for the safetensors format (what Hugging Face's from_pretrained
// reads as model.safetensors):
//   8 bytes   N, the header length, unsigned little-endian
//   N bytes   a JSON object {"__metadata__": {str: str}, NAME: {"dtype": "F32",
//             "shape": [...], "data_offsets": [begin, end]}, ...}, padded with
//             spaces so the data starts at a multiple of 8
//   data      each tensor's elements, row-major, little-endian, back to back in
//             header order (offsets are relative to the start of the data)
// Tensors are converted and written one at a time, so the file is never held
// in memory; the header is computed from the shapes before any data is written.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace moe::exporting {

// "F32", "BF16", "F16"; throws std::invalid_argument for other dtypes.
const char* safetensors_dtype(at::ScalarType dtype);

struct HeaderEntry {
  std::string name;
  std::vector<std::int64_t> shape;
};

// The padded JSON header for tensors of one dtype, in the given order.
std::string safetensors_header(const std::vector<HeaderEntry>& entries, at::ScalarType dtype,
                               const std::vector<std::pair<std::string, std::string>>& metadata);

struct SafetensorsWritten {
  std::uint64_t bytes = 0;
  std::string sha1;
};

// Writes `tensors` (any device and floating dtype; names unique) converted to
// `dtype` (bf16 rounds to nearest even, as Tensor.to does) into `path`, and
// fsyncs it. progress(done, total) is called after each tensor with counts of
// data bytes. Throws std::runtime_error on I/O errors.
SafetensorsWritten write_safetensors(const std::string& path,
                                     const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                                     at::ScalarType dtype,
                                     const std::vector<std::pair<std::string, std::string>>& metadata,
                                     const std::function<void(std::uint64_t, std::uint64_t)>& progress = {});

}  // namespace moe::exporting
