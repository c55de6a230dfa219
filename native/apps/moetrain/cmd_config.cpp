// `moetrain config`: resolve preset < flags file < command line, validate, print.
#include <ostream>

#include "cli.h"
#include "config/config_output.h"

namespace moe::cli {

int run_config(const ParsedArgs& args, std::ostream& out) {
  const config::ResolvedConfig resolved = config::resolve_config(args.request);
  if (args.json) {
    config::write_config_json(out, resolved);
  } else {
    config::write_flags_text(out, resolved);
  }
  return kExitOk;
}

}  // namespace moe::cli
