// JSON rendering of metrics records.
#include "metrics/records.h"

#include <cmath>
#include <sstream>

#include "config/config_output.h"
#include "config/flags.h"
#include "util/json_writer.h"

namespace moe::metrics {

namespace {

using util::JsonWriter;

void number_or_null(JsonWriter& json, const std::optional<double>& v) {
  if (v)
    json.value(*v);
  else
    json.null();
}

void kept_object(JsonWriter& json, const std::vector<std::pair<std::string, std::vector<std::string>>>& kept) {
  json.begin_object();
  for (const auto& [path, reasons] : kept) {
    json.key(path).begin_array();
    for (const auto& reason : reasons) json.value(reason);
    json.end_array();
  }
  json.end_object();
}

void vector_value(JsonWriter& json, const std::vector<double>& v) {
  json.begin_array();
  for (double x : v) json.value(x);
  json.end_array();
}

// Opens an event record with the fields every event has; the caller adds its own and closes it.
void begin_event(JsonWriter& json, std::int64_t step, double time, const std::string& kind,
                 const std::string& message) {
  json.begin_object();
  json.key("type").value("event");
  json.key("step").value(static_cast<long long>(step));
  json.key("time").value(time);
  json.key("kind").value(kind);
  json.key("message").value(message);
}

}  // namespace

void write_loss_map(JsonWriter& json, const char* key, const std::vector<std::pair<std::string, double>>& losses) {
  json.key(key).begin_object();
  for (const auto& [name, loss] : losses) json.key(name).value(loss);
  json.end_object();
}

std::string header_json(const HeaderRecord& r, const config::FlagSet& flags) {
  std::ostringstream out;
  JsonWriter json(out);
  json.begin_object();
  json.key("type").value("header");
  json.key("schema").value(1);
  json.key("run_id").value(r.run_id);
  json.key("attempt").value(static_cast<long long>(r.attempt));
  json.key("time").value(r.time);
  json.key("resume");
  if (r.resume) {
    json.begin_object();
    json.key("step").value(static_cast<long long>(r.resume->first));
    json.key("checkpoint").value(r.resume->second);
    json.end_object();
  } else {
    json.null();
  }
  json.key("trainer").begin_object();
  json.key("moetrain").value(r.moetrain);
  json.key("libtorch").value(r.libtorch);
  json.key("device").value(r.device);
  json.key("device_name").value(r.device_name);
  json.key("dtype").value(r.dtype);
  json.key("cpu_threads").value(r.cpu_threads);
  json.key("omp_wait_policy");
  if (r.omp_wait_policy)
    json.value(*r.omp_wait_policy);
  else
    json.null();
  json.key("attention_kernel").value(r.attention_kernel);
  json.key("world_size").value(static_cast<long long>(r.world_size));
  json.end_object();
  json.key("config").begin_object();
  const auto& table = config::flag_table();
  for (std::size_t i = 0; i < table.size(); ++i) {
    json.key(table[i].name);
    config::write_flag_json_value(json, table[i], flags.values()[i]);
  }
  json.end_object();
  json.key("params").begin_object();
  json.key("total").value(static_cast<long long>(r.params_total));
  json.key("active").value(static_cast<long long>(r.params_active));
  json.key("active_with_embedding").value(static_cast<long long>(r.params_active_with_embedding));
  json.key("flops_per_token").value(r.flops_per_token);
  json.end_object();
  json.key("run").begin_object();
  json.key("tokens_per_step").value(static_cast<long long>(r.tokens_per_step));
  json.key("total_steps").value(static_cast<long long>(r.total_steps));
  json.key("total_tokens").value(static_cast<long long>(r.total_tokens));
  json.key("peak_flops");
  number_or_null(json, r.peak_flops);
  json.key("peak_flops_source").value(r.peak_flops_source);
  json.key("train_data").value(r.train_data);
  json.key("val_data");
  if (r.val_data)
    json.value(*r.val_data);
  else
    json.null();
  if (r.data_phase2_start) json.key("data_phase2_start").value(static_cast<long long>(*r.data_phase2_start));
  json.end_object();
  if (r.fork) {
    json.key("fork").begin_object();
    json.key("checkpoint").value(r.fork->checkpoint);
    json.key("step").value(static_cast<long long>(r.fork->step));
    json.key("optimizer").value(r.fork->optimizer);
    json.key("data_position").value(r.fork->data_position);
    json.end_object();
  }
  json.end_object();
  return out.str();
}

std::string step_json(const StepRecord& r) {
  std::ostringstream out;
  JsonWriter json(out);
  json.begin_object();
  json.key("type").value("step");
  json.key("step").value(static_cast<long long>(r.step));
  json.key("tokens").value(static_cast<long long>(r.tokens));
  json.key("time").value(r.time);
  json.key("elapsed").value(r.elapsed);
  json.key("loss").value(r.loss);
  json.key("lm_loss").value(r.lm_loss);
  json.key("aux_loss").value(r.aux_loss);
  json.key("z_loss").value(r.z_loss);
  json.key("lr").value(r.lr);
  json.key("grad_norm").value(r.grad_norm);
  json.key("tokens_per_s").value(r.tokens_per_s);
  json.key("mfu");
  number_or_null(json, r.mfu);
  json.key("mem_bytes");
  if (r.mem_bytes)
    json.value(static_cast<long long>(*r.mem_bytes));
  else
    json.null();
  json.key("skipped").value(r.skipped);
  json.key("nonfinite_total").value(static_cast<long long>(r.nonfinite_total));
  if (!r.samples.empty()) {
    json.key("samples").begin_object();
    for (const auto& [name, n] : r.samples) json.key(name).value(static_cast<long long>(n));
    json.end_object();
  }
  json.end_object();
  return out.str();
}

std::string router_json(std::int64_t step, std::int64_t tokens, const std::vector<RouterSummaryRecord>& layers) {
  std::ostringstream out;
  JsonWriter json(out);
  json.begin_object();
  json.key("type").value("router");
  json.key("step").value(static_cast<long long>(step));
  json.key("tokens").value(static_cast<long long>(tokens));
  json.key("layers").begin_array();
  for (const auto& l : layers) {
    json.begin_object();
    json.key("layer").value(static_cast<long long>(l.layer));
    json.key("kind").value(l.kind);
    json.key("load");
    vector_value(json, l.load);
    json.key("importance");
    vector_value(json, l.importance);
    json.key("max_over_mean").value(l.max_over_mean);
    json.key("cv").value(l.cv);
    json.key("entropy").value(l.entropy);
    json.key("dead").begin_array();
    for (auto e : l.dead) json.value(static_cast<long long>(e));
    json.end_array();
    if (!l.by_domain.empty()) {
      json.key("by_domain").begin_object();
      for (const auto& [name, load] : l.by_domain) {
        json.key(name);
        vector_value(json, load);
      }
      json.end_object();
    }
    json.end_object();
  }
  json.end_array();
  json.end_object();
  return out.str();
}

std::string val_json(const ValRecord& r) {
  std::ostringstream out;
  JsonWriter json(out);
  json.begin_object();
  json.key("type").value("val");
  json.key("step").value(static_cast<long long>(r.step));
  json.key("tokens").value(static_cast<long long>(r.tokens));
  json.key("loss").value(r.loss);
  json.key("ppl").value(std::exp(r.loss));
  json.key("tokens_evaluated").value(static_cast<long long>(r.tokens_evaluated));
  if (!r.by_domain.empty()) write_loss_map(json, "by_domain", r.by_domain);
  if (!r.by_source.empty()) write_loss_map(json, "by_source", r.by_source);
  json.end_object();
  return out.str();
}

std::string checkpoint_json(const CheckpointRecord& r) {
  std::ostringstream out;
  JsonWriter json(out);
  json.begin_object();
  json.key("type").value("checkpoint");
  json.key("step").value(static_cast<long long>(r.step));
  json.key("tokens").value(static_cast<long long>(r.tokens));
  json.key("path").value(r.path);
  json.key("bytes").value(static_cast<long long>(r.bytes));
  json.key("loss");
  number_or_null(json, r.loss);
  json.key("val_loss");
  number_or_null(json, r.val_loss);
  json.key("reason").value(r.reason);
  if (!r.kept.empty()) {
    json.key("kept");
    kept_object(json, r.kept);
  }
  json.end_object();
  return out.str();
}

std::string event_json(std::int64_t step, double time, const std::string& kind, const std::string& message) {
  std::ostringstream out;
  JsonWriter json(out);
  begin_event(json, step, time, kind, message);
  json.end_object();
  return out.str();
}

std::string retention_event_json(std::int64_t step, double time, const std::string& path, const std::string& message,
                                 const std::vector<std::pair<std::string, std::vector<std::string>>>& kept) {
  std::ostringstream out;
  JsonWriter json(out);
  begin_event(json, step, time, "checkpoint_deleted", message);
  json.key("path").value(path);
  json.key("reason").value("retention");
  json.key("kept");
  kept_object(json, kept);
  json.end_object();
  return out.str();
}

std::string status_json(const std::string& state, std::int64_t step, std::int64_t tokens, double time,
                        const std::string& message) {
  std::ostringstream out;
  JsonWriter json(out);
  json.begin_object();
  json.key("type").value("status");
  json.key("state").value(state);
  json.key("step").value(static_cast<long long>(step));
  json.key("tokens").value(static_cast<long long>(tokens));
  json.key("time").value(time);
  json.key("message").value(message);
  json.end_object();
  return out.str();
}

}  // namespace moe::metrics
