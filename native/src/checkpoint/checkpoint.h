// The checkpoint layout of docs/checkpoints.md:
//   <run-dir>/checkpoints/step-00000400/{model.pt, optimizer.pt, trainer.pt,
//                                        config.flags, MANIFEST, COMPLETE}
// Written into .tmp-step-N-<pid>/, every file fsync'd, the directory fsync'd
// and renamed, checkpoints/ fsync'd, then COMPLETE created and fsync'd. A crash
// at any point leaves the newest complete checkpoint intact; readers take only
// directories with COMPLETE whose files match the MANIFEST.
#pragma once

#include <ATen/core/ivalue.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint/retention.h"

namespace moe::checkpoint {

inline constexpr int kFormatVersion = 1;
inline constexpr const char* kModelFile = "model.pt";
inline constexpr const char* kOptimizerFile = "optimizer.pt";
inline constexpr const char* kTrainerFile = "trainer.pt";
inline constexpr const char* kConfigFile = "config.flags";
inline constexpr const char* kManifestFile = "MANIFEST";
inline constexpr const char* kCompleteFile = "COMPLETE";

struct FileEntry {
  std::string name;
  std::uint64_t size = 0;
  std::string sha1;
};

// MANIFEST: `key value` lines
//   format 1 / step N / tokens N / created_by moetrain X.Y.Z
//   file <name> <size> <sha1>      (one per file)
struct Manifest {
  int format = kFormatVersion;
  std::int64_t step = 0;
  std::int64_t tokens = 0;
  std::string created_by;
  std::optional<double> val_loss;  // the run's latest validation loss at save (`val_loss`; retention)
  std::vector<FileEntry> files;
};
std::string manifest_text(const Manifest& manifest);
// Throws std::runtime_error naming `origin` and the line at fault.
Manifest parse_manifest(const std::string& text, const std::string& origin);

// "step-00000400" (at least 8 digits).
std::string step_dir_name(std::int64_t step);
// The step of a "step-N" name, or nullopt.
std::optional<std::int64_t> parse_step_dir_name(const std::string& name);

struct Contents {
  std::int64_t step = 0;
  std::int64_t tokens = 0;
  std::vector<std::pair<std::string, at::Tensor>> model;                        // HF name -> fp32 weights
  std::vector<std::pair<std::string, at::Tensor>> optimizer;                    // "<name>.exp_avg", ... and "step"
  c10::impl::GenericDict trainer{c10::StringType::get(), c10::AnyType::get()};  // str -> int/float/str/Tensor
  std::string config_flags;
  std::optional<double> val_loss;  // recorded in the MANIFEST
};

struct Written {
  std::string dir;         // absolute or as given
  std::string name;        // "step-00000400"
  std::int64_t bytes = 0;  // all files
  bool replaced = false;   // an older directory of that name (from an abandoned history) was removed
};

// Writes a checkpoint under `checkpoints_dir`. If step-N already exists it is
// replaced (it belongs to a history this run has moved past). Throws
// std::runtime_error on I/O errors, leaving only a .tmp-* directory behind.
Written write_checkpoint(const std::string& checkpoints_dir, const Contents& contents, const std::string& created_by);

struct Listing {
  std::int64_t step = 0;
  std::string name;
  std::string dir;
  bool complete = false;
};
// step-* directories, newest first.
std::vector<Listing> list_checkpoints(const std::string& checkpoints_dir);

// Checks COMPLETE, the MANIFEST and every file's size (and SHA-1 when
// verify_sha1). Returns the manifest, or throws std::runtime_error saying
// what is wrong.
Manifest validate_checkpoint(const std::string& dir, bool verify_sha1);

struct Loaded {
  Manifest manifest;
  std::map<std::string, at::Tensor> model;
  std::map<std::string, at::Tensor> optimizer;
  c10::impl::GenericDict trainer{c10::StringType::get(), c10::AnyType::get()};
  std::string config_flags;
};
// validate_checkpoint, then reads every file. Throws std::runtime_error.
Loaded load_checkpoint(const std::string& dir, bool verify_sha1);

// Removes .tmp-* directories and step-N directories without COMPLETE (the
// leftovers of a crash); returns the names removed.
std::vector<std::string> remove_partial(const std::string& checkpoints_dir);

// Keeps the newest `keep` complete checkpoints (never the newest one) and
// removes older complete ones; returns the names removed.
std::vector<std::string> apply_retention(const std::string& checkpoints_dir, std::int64_t keep);

// The retention rules of retention.h applied to the complete checkpoints in
// `checkpoints_dir` (step, tokens and val_loss from each MANIFEST). Removes nothing.
RetentionPlan plan_retention_on_disk(const std::string& checkpoints_dir, const RetentionPolicy& policy,
                                     const std::string& just_written);
// Removes checkpoints/<name> for each name (remove_checkpoint_dir); returns the names actually removed.
std::vector<std::string> remove_checkpoints(const std::string& checkpoints_dir, const std::vector<std::string>& names);

// Removes one checkpoint directory so that a kill part way never leaves a
// directory marked COMPLETE with files missing: COMPLETE goes first (made durable
// by an fsync of the directory), then the rest, so what is left is incomplete and
// remove_partial clears it at the next start. `after_unmark` runs between the two
// (a seam for tests of an interruption there). Returns false when anything is left.
bool remove_checkpoint_dir(const std::string& dir, const std::function<void()>& after_unmark = nullptr);

// Typed access to trainer.pt entries; throw std::runtime_error when missing or mistyped.
std::int64_t get_int(const c10::impl::GenericDict& dict, const std::string& key);
double get_double(const c10::impl::GenericDict& dict, const std::string& key);
std::string get_string(const c10::impl::GenericDict& dict, const std::string& key);
std::optional<at::Tensor> get_tensor(const c10::impl::GenericDict& dict, const std::string& key);
bool has_key(const c10::impl::GenericDict& dict, const std::string& key);

}  // namespace moe::checkpoint
