// safetensors writer.
#include "export/safetensors.h"

#include <ATen/ATen.h>

#include <set>
#include <sstream>
#include <stdexcept>

#include "util/fs.h"
#include "util/json_writer.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the safetensors writer copies tensor memory as is and needs a little-endian host"
#endif

namespace moe::exporting {

const char* safetensors_dtype(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat: return "F32";
    case at::kBFloat16: return "BF16";
    case at::kHalf: return "F16";
    default: break;
  }
  throw std::invalid_argument(std::string("safetensors export supports float32, bfloat16 and float16, not ") +
                              c10::toString(dtype));
}

namespace {

std::uint64_t numel_of(const std::vector<std::int64_t>& shape) {
  std::uint64_t n = 1;
  for (auto d : shape) n *= static_cast<std::uint64_t>(d);
  return n;
}

}  // namespace

std::string safetensors_header(const std::vector<HeaderEntry>& entries, at::ScalarType dtype,
                               const std::vector<std::pair<std::string, std::string>>& metadata) {
  const char* dtype_name = safetensors_dtype(dtype);
  const std::uint64_t element = c10::elementSize(dtype);
  std::ostringstream out;
  util::JsonWriter json(out);
  json.begin_object();
  json.key("__metadata__").begin_object();
  for (const auto& [k, v] : metadata) json.key(k).value(v);
  json.end_object();
  std::set<std::string> seen;
  std::uint64_t offset = 0;
  for (const auto& e : entries) {
    if (!seen.insert(e.name).second) throw std::invalid_argument("safetensors: duplicate tensor name " + e.name);
    const std::uint64_t bytes = numel_of(e.shape) * element;
    json.key(e.name).begin_object();
    json.key("dtype").value(dtype_name);
    json.key("shape").begin_array();
    for (auto d : e.shape) json.value(static_cast<long long>(d));
    json.end_array();
    json.key("data_offsets").begin_array();
    json.value(static_cast<unsigned long long>(offset)).value(static_cast<unsigned long long>(offset + bytes));
    json.end_array();
    json.end_object();
    offset += bytes;
  }
  json.end_object();
  std::string header = out.str();
  // The data must start 8-byte aligned: 8 (length) + header.
  header.append((8 - header.size() % 8) % 8, ' ');
  return header;
}

SafetensorsWritten write_safetensors(const std::string& path,
                                     const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                                     at::ScalarType dtype,
                                     const std::vector<std::pair<std::string, std::string>>& metadata,
                                     const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  std::vector<HeaderEntry> entries;
  entries.reserve(tensors.size());
  std::uint64_t total = 0;
  for (const auto& [name, t] : tensors) {
    if (!t.is_floating_point())
      throw std::invalid_argument("safetensors export: " + name + " is not a floating tensor");
    entries.push_back({name, t.sizes().vec()});
    total += static_cast<std::uint64_t>(t.numel()) * c10::elementSize(dtype);
  }
  const std::string header = safetensors_header(entries, dtype, metadata);

  util::DurableFileWriter file(path);
  std::uint64_t n = header.size();
  unsigned char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xFF);
  file.write(length, sizeof(length));
  file.write(header);
  std::uint64_t done = 0;
  for (const auto& [name, t] : tensors) {
    const at::Tensor data = t.detach().to(at::kCPU).to(dtype).contiguous();
    const std::uint64_t bytes = static_cast<std::uint64_t>(data.numel()) * c10::elementSize(dtype);
    file.write(data.data_ptr(), bytes);
    done += bytes;
    if (progress) progress(done, total);
  }
  SafetensorsWritten w;
  w.bytes = file.bytes();
  w.sha1 = file.finish();
  return w;
}

}  // namespace moe::exporting
