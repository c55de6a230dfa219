// The message of an exception for users: LibTorch errors (c10::Error) without
// their C++ backtrace, everything else as what(). LibTorch-free header.
#pragma once

#include <exception>
#include <string>

namespace moe::util {

std::string error_text(const std::exception& e);

}  // namespace moe::util
