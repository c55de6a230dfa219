// Checkpoints: the torch.save-format writer (byte-identical to
// torch::pickle_save), MANIFEST round trip, validation of sizes, checksums and
// the COMPLETE marker, cleanup of partial writes, and retention.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/utils.h>

#include "checkpoint/checkpoint.h"
#include "checkpoint/pt_file.h"
#include "test_helpers.h"
#include "util/fs.h"
#include "util/sha1.h"

namespace moe::checkpoint {
namespace {

Contents sample(std::int64_t step) {
  torch::manual_seed(static_cast<std::uint64_t>(step));
  Contents c;
  c.step = step;
  c.tokens = step * 100;
  c.model = {{"model.embed_tokens.weight", at::randn({8, 4})}, {"model.norm.weight", at::ones({4})}};
  c.optimizer = {{"model.norm.weight.exp_avg", at::randn({4})}, {"step", at::scalar_tensor(step, at::kLong)}};
  c.trainer.insert("step", step);
  c.trainer.insert("name", std::string("x"));
  c.trainer.insert("rng.cpu", at::arange(5).to(at::kByte));
  c.config_flags = "--hidden-size=4\n";
  return c;
}

TEST(PtFile, RoundTripsWithoutTypeTags) {
  const std::string dir = test::make_temp_dir("pt");
  const at::Tensor a = at::randn({3, 5});
  const WrittenFile w = write_pt_file(dir + "/x.pt", tensor_dict({{"a", a}, {"b.c", at::arange(7)}}));
  const std::string bytes = util::read_file(dir + "/x.pt");
  EXPECT_EQ(w.bytes, bytes.size());
  EXPECT_EQ(w.sha1, util::sha1_hex(bytes));
  // Type tags would make Python's safe torch.load refuse the file.
  EXPECT_EQ(bytes.find("restore_type_tag"), std::string::npos);
  // The same archive layout as torch::pickle_save: our reader and LibTorch's agree.
  const auto back = as_tensor_map(read_pt_file(dir + "/x.pt"), "x.pt");
  EXPECT_TRUE(at::equal(back.at("a"), a));
  EXPECT_TRUE(at::equal(back.at("b.c"), at::arange(7)));
  const std::vector<char> reference = torch::jit::pickle_save(tensor_dict({{"a", a}}));
  test::write_file(dir + "/ref.pt", std::string(reference.begin(), reference.end()));
  EXPECT_TRUE(at::equal(as_tensor_map(read_pt_file(dir + "/ref.pt"), "ref.pt").at("a"), a));
  util::remove_tree(dir);
}

TEST(Manifest, RoundTripsAndRejectsDamage) {
  Manifest m;
  m.step = 42;
  m.tokens = 4200;
  m.created_by = "moetrain test";
  m.files = {{"model.pt", 10, std::string(40, 'a')}, {"config.flags", 3, std::string(40, 'b')}};
  const Manifest back = parse_manifest(manifest_text(m), "MANIFEST");
  EXPECT_EQ(back.step, 42);
  EXPECT_EQ(back.tokens, 4200);
  ASSERT_EQ(back.files.size(), 2u);
  EXPECT_EQ(back.files[1].name, "config.flags");
  EXPECT_EQ(back.files[1].size, 3u);
  EXPECT_FALSE(back.val_loss) << "no validation yet: no val_loss line";
  m.val_loss = 1.2345678901234567;
  EXPECT_EQ(parse_manifest(manifest_text(m), "MANIFEST").val_loss, m.val_loss) << "val_loss round-trips exactly";
  EXPECT_THROW(parse_manifest(manifest_text(m) + "val_loss abc\n", "M"), std::runtime_error);
  EXPECT_THROW(parse_manifest("format 1\nstep 1\n", "M"), std::runtime_error);
  EXPECT_THROW(parse_manifest("format 1\nstep x\ntokens 0\nfile a 1 " + std::string(40, 'a'), "M"), std::runtime_error);
  EXPECT_THROW(parse_manifest("format 1\nstep 1\ntokens 0\nfile ../a 1 " + std::string(40, 'a'), "M"),
               std::runtime_error);
  EXPECT_THROW(parse_manifest("format 9\nstep 1\ntokens 0\nfile a 1 " + std::string(40, 'a'), "M"), std::runtime_error);
}

TEST(StepDirNames, PadAndParse) {
  EXPECT_EQ(step_dir_name(400), "step-00000400");
  EXPECT_EQ(step_dir_name(123456789), "step-123456789");
  EXPECT_EQ(parse_step_dir_name("step-00000400"), 400);
  EXPECT_FALSE(parse_step_dir_name(".tmp-step-00000400-12"));
  EXPECT_FALSE(parse_step_dir_name("step-12a"));
}

TEST(Checkpoint, WriteValidateLoad) {
  const std::string dir = test::make_temp_dir("ckpt");
  const Contents c = sample(7);
  const Written w = write_checkpoint(dir, c, "moetrain test");
  EXPECT_EQ(w.name, "step-00000007");
  for (const char* f : {kModelFile, kOptimizerFile, kTrainerFile, kConfigFile, kManifestFile, kCompleteFile}) {
    EXPECT_TRUE(util::exists(w.dir + "/" + f)) << f;
  }
  EXPECT_TRUE(util::list_dir(dir).size() == 1) << "no temporary directory is left behind";
  const Loaded l = load_checkpoint(w.dir, true);
  EXPECT_EQ(l.manifest.step, 7);
  EXPECT_EQ(l.manifest.tokens, 700);
  EXPECT_TRUE(at::equal(l.model.at("model.embed_tokens.weight"), c.model[0].second));
  EXPECT_EQ(get_int(l.trainer, "step"), 7);
  EXPECT_EQ(get_string(l.trainer, "name"), "x");
  EXPECT_TRUE(at::equal(*get_tensor(l.trainer, "rng.cpu"), at::arange(5).to(at::kByte)));
  EXPECT_EQ(l.config_flags, "--hidden-size=4\n");
  EXPECT_THROW(get_int(l.trainer, "missing"), std::runtime_error);
  util::remove_tree(dir);
}

TEST(Checkpoint, FlippedByteFailsTheChecksumAndTruncationFailsTheSize) {
  const std::string dir = test::make_temp_dir("ckpt");
  const Written w = write_checkpoint(dir, sample(3), "t");
  const std::string path = w.dir + "/" + kOptimizerFile;
  std::string bytes = util::read_file(path);
  bytes[bytes.size() / 2] ^= 0x01;
  test::write_file(path, bytes);
  try {
    validate_checkpoint(w.dir, true);
    FAIL() << "a flipped byte was not detected";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(validate_checkpoint(w.dir, false)) << "without SHA-1 only sizes are checked";
  test::write_file(path, bytes.substr(1));
  EXPECT_THROW(validate_checkpoint(w.dir, false), std::runtime_error);
  util::remove_tree(dir);
}

TEST(Checkpoint, IncompleteDirectoriesAreInvisibleAndCleanedUp) {
  const std::string dir = test::make_temp_dir("ckpt");
  write_checkpoint(dir, sample(1), "t");
  const Written w2 = write_checkpoint(dir, sample(2), "t");
  std::remove((w2.dir + "/" + kCompleteFile).c_str());  // as if killed before COMPLETE
  util::make_dirs(dir + "/.tmp-step-00000003-99");
  EXPECT_THROW(validate_checkpoint(w2.dir, true), std::runtime_error);
  auto listing = list_checkpoints(dir);
  ASSERT_EQ(listing.size(), 2u);
  EXPECT_EQ(listing[0].step, 2);
  EXPECT_FALSE(listing[0].complete);
  EXPECT_TRUE(listing[1].complete);
  const auto removed = remove_partial(dir);
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_EQ(list_checkpoints(dir).size(), 1u);
  EXPECT_FALSE(util::exists(dir + "/.tmp-step-00000003-99"));
  util::remove_tree(dir);
}

TEST(Checkpoint, RetentionKeepsTheNewestK) {
  const std::string dir = test::make_temp_dir("ckpt");
  for (int s = 1; s <= 5; ++s) write_checkpoint(dir, sample(s), "t");
  const auto removed = apply_retention(dir, 2);
  EXPECT_EQ(removed, (std::vector<std::string>{"step-00000003", "step-00000002", "step-00000001"}));
  const auto left = list_checkpoints(dir);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].step, 5);
  EXPECT_EQ(left[1].step, 4);
  // Rewriting an existing step replaces it.
  const Written again = write_checkpoint(dir, sample(5), "t");
  EXPECT_TRUE(again.replaced);
  EXPECT_NO_THROW(validate_checkpoint(again.dir, true));
  util::remove_tree(dir);
}

TEST(Checkpoint, RemovalTakesTheCompleteMarkerFirst) {
  const std::string dir = test::make_temp_dir("ckpt");
  for (int s = 1; s <= 3; ++s) write_checkpoint(dir, sample(s), "t");
  // Killed right after the first removal: what is left must not count as a checkpoint.
  const std::string victim = dir + "/" + step_dir_name(1);
  struct Killed {};
  EXPECT_THROW(remove_checkpoint_dir(victim, [] { throw Killed{}; }), Killed);
  EXPECT_FALSE(util::exists(victim + "/" + kCompleteFile));
  EXPECT_TRUE(util::exists(victim + "/" + kModelFile));
  auto listing = list_checkpoints(dir);
  ASSERT_EQ(listing.size(), 3u);
  EXPECT_EQ(listing[2].step, 1);
  EXPECT_FALSE(listing[2].complete);
  EXPECT_THROW(validate_checkpoint(victim, false), std::runtime_error);
  // The next start clears it; retention removes whole directories through the same path.
  EXPECT_EQ(remove_partial(dir), (std::vector<std::string>{step_dir_name(1)}));
  EXPECT_EQ(apply_retention(dir, 1), (std::vector<std::string>{step_dir_name(2)}));
  EXPECT_FALSE(util::exists(dir + "/" + step_dir_name(2)));
  EXPECT_TRUE(remove_checkpoint_dir(dir + "/" + step_dir_name(9)));  // already gone
  util::remove_tree(dir);
}

}  // namespace
}  // namespace moe::checkpoint
