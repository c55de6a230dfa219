// Retention rules.
#include "checkpoint/retention.h"

#include <algorithm>
#include <map>
#include <set>

namespace moe::checkpoint {

RetentionPlan plan_retention(std::vector<RetentionCandidate> c, const RetentionPolicy& policy,
                             const std::string& just_written) {
  std::sort(c.begin(), c.end(),
            [](const RetentionCandidate& a, const RetentionCandidate& b) { return a.step > b.step; });
  std::map<std::string, std::vector<std::string>> reasons;
  const std::int64_t newest = std::max<std::int64_t>(1, policy.keep_newest);
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (static_cast<std::int64_t>(i) < newest || c[i].name == just_written) reasons[c[i].name].push_back("newest");
  }
  if (policy.keep_every_tokens > 0) {
    // Oldest first: each checkpoint is the first at or after every multiple in
    // (tokens of the previous one, its own tokens].
    const std::int64_t m = policy.keep_every_tokens;
    std::optional<std::int64_t> previous;
    for (auto it = c.rbegin(); it != c.rend(); ++it) {
      if (!it->tokens) continue;
      const std::int64_t t = *it->tokens;
      const std::int64_t below = previous ? *previous / m : 0;  // multiples already passed
      if (t / m > below && t >= m) reasons[it->name].push_back("every_tokens");
      previous = t;
    }
  }
  if (policy.keep_best_val) {
    const RetentionCandidate* best = nullptr;
    for (auto it = c.rbegin(); it != c.rend(); ++it) {  // oldest first: ties go to the earliest
      if (it->val_loss && (!best || *it->val_loss < *best->val_loss)) best = &*it;
    }
    if (best) reasons[best->name].push_back("best_val");
  }
  RetentionPlan plan;
  for (const auto& x : c) {
    const auto it = reasons.find(x.name);
    if (it == reasons.end()) {
      plan.deleted.push_back(x.name);
    } else {
      plan.kept.push_back({x.name, it->second});
    }
  }
  return plan;
}

}  // namespace moe::checkpoint
