// Shared helpers for the unit tests.
#include "test_helpers.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace moe::test {

model::ModelConfig small_config() {
  model::ModelConfig c;
  c.vocab_size = 128;
  c.hidden_size = 64;
  c.num_layers = 2;
  c.num_kv_heads = 2;
  c.head_dim = 16;
  c.intermediate_size = 96;
  c.num_experts = 4;
  c.top_k = 2;
  c.max_seq_len = 64;
  c.rms_norm_eps = 1e-5;
  c.block_norm_eps = 1e-6;
  c.init_std = 0.1;
  c.expert_backend = model::ExpertBackend::kLoop;
  c.dtype = model::DType::kFloat32;
  return c;
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

double max_rel_diff(const at::Tensor& a, const at::Tensor& b) {
  const double scale = std::max(b.to(at::kDouble).abs().max().item<double>(), 1e-12);
  return max_abs_diff(a, b) / scale;
}

std::string make_temp_dir(const std::string& tag) {
  std::string pattern = (std::filesystem::temp_directory_path() / ("moetrain-" + tag + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  return pattern;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace moe::test
