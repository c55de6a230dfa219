// Shared helpers for the unit tests: the small test configuration (A = G*D != H
// so mixed-up dimensions fail) and tensor comparisons.
#pragma once

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <string>

#include "model/config.h"

namespace moe::test {

// H=64, G=2, D=16 (A=32), E=4, k=2, I=96, L=2, V=128.
model::ModelConfig small_config();

double max_abs_diff(const at::Tensor& a, const at::Tensor& b);
// max |a-b| / max(max |b|, tiny): scale-free comparison for gradients.
double max_rel_diff(const at::Tensor& a, const at::Tensor& b);

// A fresh temporary directory (removed by the caller when it wants).
std::string make_temp_dir(const std::string& tag);
void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

}  // namespace moe::test
