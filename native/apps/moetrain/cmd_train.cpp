// `moetrain train`: resolve the configuration and run training. Progress goes
// straight to stdout (line by line, for trainer.log) rather than through the
// buffered `out` of the other subcommands.
#include <iostream>

#include "cli.h"
#include "train/trainer.h"

namespace moe::cli {

int run_train(const ParsedArgs& args, std::ostream& /*out*/) {
  const config::ResolvedConfig resolved = config::resolve_config(args.request);
  return train::run_training(resolved, std::cout);
}

}  // namespace moe::cli
