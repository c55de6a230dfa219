// Checkpoint writing, validation, loading and retention.
#include "checkpoint/checkpoint.h"

#include <ATen/ATen.h>

#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "checkpoint/pt_file.h"
#include "util/fs.h"
#include "util/json_writer.h"
#include "util/kv_text.h"
#include "util/sha1.h"
#include "util/strings.h"

namespace moe::checkpoint {

std::string manifest_text(const Manifest& m) {
  std::string out;
  out += "format " + std::to_string(m.format) + "\n";
  out += "step " + std::to_string(m.step) + "\n";
  out += "tokens " + std::to_string(m.tokens) + "\n";
  if (!m.created_by.empty()) out += "created_by " + m.created_by + "\n";
  if (m.val_loss && std::isfinite(*m.val_loss)) out += "val_loss " + util::format_double(*m.val_loss) + "\n";
  for (const auto& f : m.files) out += "file " + f.name + " " + std::to_string(f.size) + " " + f.sha1 + "\n";
  return out;
}

namespace {

std::int64_t parse_count(const std::string& text, const std::string& origin, int line) {
  try {
    std::size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used == text.size() && v >= 0) return v;
  } catch (const std::exception&) {}
  throw std::runtime_error(origin + ":" + std::to_string(line) + ": '" + text + "' is not a count");
}

bool is_hex40(const std::string& s) {
  return s.size() == 40 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Manifest parse_manifest(const std::string& text, const std::string& origin) {
  Manifest m;
  bool has_format = false, has_step = false, has_tokens = false;
  for (const auto& kv : util::parse_key_values(text)) {
    if (kv.key == "format") {
      m.format = static_cast<int>(parse_count(kv.value, origin, kv.line));
      has_format = true;
    } else if (kv.key == "step") {
      m.step = parse_count(kv.value, origin, kv.line);
      has_step = true;
    } else if (kv.key == "tokens") {
      m.tokens = parse_count(kv.value, origin, kv.line);
      has_tokens = true;
    } else if (kv.key == "created_by") {
      m.created_by = kv.value;
    } else if (kv.key == "val_loss") {
      char* end = nullptr;
      const double v = std::strtod(kv.value.c_str(), &end);
      if (kv.value.empty() || end != kv.value.c_str() + kv.value.size() || !std::isfinite(v)) {
        throw std::runtime_error(origin + ":" + std::to_string(kv.line) + ": '" + kv.value + "' is not a loss");
      }
      m.val_loss = v;
    } else if (kv.key == "file") {
      const auto parts = util::split(kv.value, ' ');
      if (parts.size() != 3 || parts[0].empty() || parts[0].find('/') != std::string::npos || !is_hex40(parts[2])) {
        throw std::runtime_error(origin + ":" + std::to_string(kv.line) + ": malformed file entry '" + kv.value + "'");
      }
      m.files.push_back({parts[0], static_cast<std::uint64_t>(parse_count(parts[1], origin, kv.line)), parts[2]});
    }  // other keys: written by a newer trainer, ignored
  }
  if (!has_format || !has_step || !has_tokens || m.files.empty()) {
    throw std::runtime_error(origin + " is incomplete (needs format, step, tokens and file lines)");
  }
  if (m.format > kFormatVersion) {
    throw std::runtime_error(origin + " has format " + std::to_string(m.format) + "; this trainer reads format " +
                             std::to_string(kFormatVersion) + " (upgrade moetrain)");
  }
  return m;
}

std::string step_dir_name(std::int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "step-%08lld", static_cast<long long>(step));
  return buf;
}

std::optional<std::int64_t> parse_step_dir_name(const std::string& name) {
  if (!util::starts_with(name, "step-") || name.size() <= 5) return std::nullopt;
  const std::string digits = name.substr(5);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  if (digits.size() > 18) return std::nullopt;
  return std::stoll(digits);
}

Written write_checkpoint(const std::string& checkpoints_dir, const Contents& c, const std::string& created_by) {
  Written w;
  w.name = step_dir_name(c.step);
  w.dir = checkpoints_dir + "/" + w.name;
  const std::string tmp = checkpoints_dir + "/.tmp-" + w.name + "-" + std::to_string(::getpid());
  if (util::exists(tmp)) util::remove_tree(tmp);
  util::make_dirs(tmp);

  Manifest manifest;
  manifest.step = c.step;
  manifest.tokens = c.tokens;
  manifest.created_by = created_by;
  manifest.val_loss = c.val_loss;
  const auto add = [&](const std::string& name, const WrittenFile& f) {
    manifest.files.push_back({name, f.bytes, f.sha1});
    w.bytes += static_cast<std::int64_t>(f.bytes);
  };
  add(kModelFile, write_pt_file(tmp + "/" + kModelFile, tensor_dict(c.model)));
  add(kOptimizerFile, write_pt_file(tmp + "/" + kOptimizerFile, tensor_dict(c.optimizer)));
  add(kTrainerFile, write_pt_file(tmp + "/" + kTrainerFile, c.trainer));
  {
    util::DurableFileWriter f(tmp + "/" + kConfigFile);
    f.write(c.config_flags);
    const std::uint64_t bytes = f.bytes();
    add(kConfigFile, {bytes, f.finish()});
  }
  {
    util::DurableFileWriter f(tmp + "/" + kManifestFile);
    f.write(manifest_text(manifest));
    w.bytes += static_cast<std::int64_t>(f.bytes());
    f.finish();
  }
  util::fsync_path(tmp);

  if (util::exists(w.dir)) {
    // A directory of this step from an abandoned history (a newer checkpoint
    // that was corrupt, or a run restarted from an older step).
    if (!remove_checkpoint_dir(w.dir)) throw std::runtime_error("cannot remove the stale checkpoint '" + w.dir + "'");
    w.replaced = true;
  }
  util::rename_path(tmp, w.dir);
  util::fsync_path(checkpoints_dir);
  {
    util::DurableFileWriter f(w.dir + "/" + kCompleteFile);
    f.finish();
  }
  util::fsync_path(w.dir);
  return w;
}

std::vector<Listing> list_checkpoints(const std::string& checkpoints_dir) {
  std::vector<Listing> out;
  for (const auto& name : util::list_dir(checkpoints_dir)) {
    const auto step = parse_step_dir_name(name);
    const std::string dir = checkpoints_dir + "/" + name;
    if (!step || !util::is_directory(dir)) continue;
    out.push_back({*step, name, dir, util::exists(dir + "/" + kCompleteFile)});
  }
  std::sort(out.begin(), out.end(), [](const Listing& a, const Listing& b) { return a.step > b.step; });
  return out;
}

Manifest validate_checkpoint(const std::string& dir, bool verify_sha1) {
  if (!util::is_directory(dir)) throw std::runtime_error("'" + dir + "' is not a checkpoint directory");
  if (!util::exists(dir + "/" + kCompleteFile)) {
    throw std::runtime_error("'" + dir + "' has no COMPLETE marker (its writing was interrupted)");
  }
  const std::string manifest_path = dir + "/" + kManifestFile;
  if (!util::exists(manifest_path)) throw std::runtime_error("'" + dir + "' has no MANIFEST");
  const Manifest m = parse_manifest(util::read_file(manifest_path), manifest_path);
  for (const char* required : {kModelFile, kOptimizerFile, kTrainerFile, kConfigFile}) {
    const bool listed =
        std::any_of(m.files.begin(), m.files.end(), [&](const FileEntry& f) { return f.name == required; });
    if (!listed) throw std::runtime_error(manifest_path + " does not list " + required);
  }
  for (const auto& f : m.files) {
    const std::string path = dir + "/" + f.name;
    if (!util::exists(path)) throw std::runtime_error("'" + path + "' is missing");
    std::uint64_t size = 0;
    if (verify_sha1) {
      const std::string sha = util::sha1_file(path, &size);
      if (size != f.size) {
        throw std::runtime_error("'" + path + "' has " + std::to_string(size) + " bytes, the MANIFEST says " +
                                 std::to_string(f.size));
      }
      if (sha != f.sha1) {
        throw std::runtime_error("'" + path + "' fails its checksum (SHA-1 " + sha + ", the MANIFEST says " + f.sha1 +
                                 ")");
      }
    } else if ((size = util::file_size(path)) != f.size) {
      throw std::runtime_error("'" + path + "' has " + std::to_string(size) + " bytes, the MANIFEST says " +
                               std::to_string(f.size));
    }
  }
  return m;
}

Loaded load_checkpoint(const std::string& dir, bool verify_sha1) {
  Loaded l;
  l.manifest = validate_checkpoint(dir, verify_sha1);
  l.model = as_tensor_map(read_pt_file(dir + "/" + kModelFile), dir + "/" + kModelFile);
  l.optimizer = as_tensor_map(read_pt_file(dir + "/" + kOptimizerFile), dir + "/" + kOptimizerFile);
  const c10::IValue trainer = read_pt_file(dir + "/" + kTrainerFile);
  if (!trainer.isGenericDict()) throw std::runtime_error("'" + dir + "/trainer.pt' does not hold a dict");
  l.trainer = trainer.toGenericDict();
  l.config_flags = util::read_file(dir + "/" + kConfigFile);
  return l;
}

std::vector<std::string> remove_partial(const std::string& checkpoints_dir) {
  std::vector<std::string> removed;
  for (const auto& name : util::list_dir(checkpoints_dir)) {
    const std::string path = checkpoints_dir + "/" + name;
    const bool temporary = util::starts_with(name, ".tmp-");
    const bool incomplete =
        parse_step_dir_name(name) && util::is_directory(path) && !util::exists(path + "/" + kCompleteFile);
    if ((temporary || incomplete) && util::remove_tree(path)) removed.push_back(name);
  }
  return removed;
}

std::vector<std::string> apply_retention(const std::string& checkpoints_dir, std::int64_t keep) {
  RetentionPolicy policy;
  policy.keep_newest = keep;
  return remove_checkpoints(checkpoints_dir, plan_retention_on_disk(checkpoints_dir, policy, "").deleted);
}

RetentionPlan plan_retention_on_disk(const std::string& checkpoints_dir, const RetentionPolicy& policy,
                                     const std::string& just_written) {
  std::vector<RetentionCandidate> candidates;
  for (const auto& l : list_checkpoints(checkpoints_dir)) {
    if (!l.complete) continue;
    RetentionCandidate c;
    c.name = l.name;
    c.step = l.step;
    try {
      const Manifest m = parse_manifest(util::read_file(l.dir + "/" + kManifestFile), l.name);
      c.tokens = m.tokens;
      c.val_loss = m.val_loss;
    } catch (const std::exception&) {
      // Unreadable MANIFEST: only the newest-k rule can keep it.
    }
    candidates.push_back(std::move(c));
  }
  return plan_retention(std::move(candidates), policy, just_written);
}

std::vector<std::string> remove_checkpoints(const std::string& checkpoints_dir, const std::vector<std::string>& names) {
  std::vector<std::string> removed;
  for (const auto& name : names) {
    if (parse_step_dir_name(name) && remove_checkpoint_dir(checkpoints_dir + "/" + name)) removed.push_back(name);
  }
  return removed;
}

bool remove_checkpoint_dir(const std::string& dir, const std::function<void()>& after_unmark) {
  // remove_all's order is the directory's: model.pt could go before COMPLETE.
  if (!util::exists(dir)) return true;
  const std::string marker = dir + "/" + kCompleteFile;
  if (::unlink(marker.c_str()) != 0 && errno != ENOENT) return false;
  try {
    util::fsync_path(dir);
  } catch (const std::exception&) {
    return false;  // the marker's removal may not be durable: keep the files it vouched for
  }
  if (after_unmark) after_unmark();
  return util::remove_tree(dir);
}

namespace {

c10::IValue get(const c10::impl::GenericDict& dict, const std::string& key) {
  auto it = dict.find(c10::IValue(key));
  if (it == dict.end()) throw std::runtime_error("trainer.pt has no entry '" + key + "'");
  return it->value();
}

}  // namespace

bool has_key(const c10::impl::GenericDict& dict, const std::string& key) {
  return dict.find(c10::IValue(key)) != dict.end();
}

std::int64_t get_int(const c10::impl::GenericDict& dict, const std::string& key) {
  const c10::IValue v = get(dict, key);
  if (!v.isInt()) throw std::runtime_error("trainer.pt entry '" + key + "' is not an integer");
  return v.toInt();
}

double get_double(const c10::impl::GenericDict& dict, const std::string& key) {
  const c10::IValue v = get(dict, key);
  if (v.isDouble()) return v.toDouble();
  if (v.isInt()) return static_cast<double>(v.toInt());
  throw std::runtime_error("trainer.pt entry '" + key + "' is not a number");
}

std::string get_string(const c10::impl::GenericDict& dict, const std::string& key) {
  const c10::IValue v = get(dict, key);
  if (!v.isString()) throw std::runtime_error("trainer.pt entry '" + key + "' is not a string");
  return v.toStringRef();
}

std::optional<at::Tensor> get_tensor(const c10::impl::GenericDict& dict, const std::string& key) {
  auto it = dict.find(c10::IValue(key));
  if (it == dict.end() || it->value().isNone()) return std::nullopt;
  if (!it->value().isTensor()) throw std::runtime_error("trainer.pt entry '" + key + "' is not a tensor");
  return it->value().toTensor();
}

}  // namespace moe::checkpoint
