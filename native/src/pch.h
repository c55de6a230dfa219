// Precompiled header for the LibTorch-heavy translation units of moe_core
// (the configuration code skips it). Keep it to headers those units all use.
#pragma once

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>
