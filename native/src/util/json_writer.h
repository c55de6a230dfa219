// Minimal streaming JSON writer. The trainer only ever writes JSON (version info,
// resolved configs, parameter counts, later metrics); it never parses it.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace moe::util {

// Escapes a string for use inside JSON double quotes (UTF-8 passes through).
std::string json_escape(std::string_view text);

// Shortest decimal form that reads back to the same double; "null" for NaN/Inf.
std::string format_double(double value);

// Writes one compact JSON document. Commas and nesting are tracked, so callers
// only say what comes next:
//   JsonWriter w(out); w.begin_object().key("a").value(1).end_object();
class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(bool flag);
  JsonWriter& value(int value) { return value_int(value); }
  JsonWriter& value(long value) { return value_int(value); }
  JsonWriter& value(long long value) { return value_int(value); }
  JsonWriter& value(unsigned long value) { return value_uint(value); }
  JsonWriter& value(unsigned long long value) { return value_uint(value); }
  JsonWriter& value(double value);
  JsonWriter& null();
  // Inserts an already-serialised JSON value verbatim.
  JsonWriter& raw(std::string_view json);

 private:
  JsonWriter& value_int(long long value);
  JsonWriter& value_uint(unsigned long long value);
  void before_value();

  struct Level {
    bool is_object;
    bool has_items;
  };
  std::ostream& out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

}  // namespace moe::util
