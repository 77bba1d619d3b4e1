#pragma once
// The image configuration. The raw JSON is kept whole so that fields whittle does not model survive a
// convert unchanged; accessors read and write the fields whittle uses.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>
#include <whittle/oci/descriptor.hpp>

namespace whittle::oci {

struct HistoryEntry
{
  std::string created;
  std::string created_by;
  std::string comment;
  bool empty_layer = false;
};

// config.Healthcheck as docker and podman write it. Durations are nanoseconds; 0 means unset (the
// runtime's default applies: interval 30 s, timeout 30 s, start period 0, start interval 5 s, 3 retries).
struct Healthcheck
{
  // {"CMD", program, args...} (exec'd directly) or {"CMD-SHELL", command} (run by the image's shell);
  // healthcheck() never returns {"NONE"} or an empty test.
  std::vector<std::string> test;
  int64_t interval_ns = 0;
  int64_t timeout_ns = 0;
  int64_t start_period_ns = 0;
  int64_t start_interval_ns = 0;
  int64_t retries = 0;
  bool shell() const { return !test.empty() && test[0] == "CMD-SHELL"; }
};

struct ImageConfig
{
  nlohmann::json raw = nlohmann::json::object();

  // Throws BadInput naming `what` on invalid JSON or ill-typed known fields (e.g. rootfs.diff_ids).
  static ImageConfig parse(const std::string& json, const std::string& what);
  // Canonical bytes (sorted keys, no whitespace).
  std::string serialize() const;

  Platform platform() const;
  std::vector<Digest> diff_ids() const;
  void set_diff_ids(const std::vector<Digest>& ids);
  std::vector<HistoryEntry> history() const;
  void set_history(const std::vector<HistoryEntry>& h);

  // Fields of "config" (the runtime config); empty/absent is returned as empty.
  std::vector<std::string> entrypoint() const;
  std::vector<std::string> cmd() const;
  std::vector<std::string> env() const;
  std::string user() const;
  std::string working_dir() const;
  std::vector<std::string> exposed_ports() const; // "80/tcp", sorted
  std::map<std::string, std::string> labels() const;
  // The healthcheck to run, or nullopt when there is none: absent, an empty Test (inherit, which a
  // final image has nothing to inherit from) or {"NONE"}.
  std::optional<Healthcheck> healthcheck() const;
  // config.Shell (docker's SHELL instruction), the shell CMD-SHELL runs under; {"/bin/sh", "-c"} when unset.
  std::vector<std::string> shell() const;
  // config.OnBuild: triggers a later `FROM` of this image would run (docker format only).
  std::vector<std::string> on_build() const;
  // Value of an Env entry (the last one of a repeated key: util::env_lookup), or "" (e.g. env_value("PATH")).
  std::string env_value(const std::string& name) const;

  void set_user(const std::string& user);
  void set_label(const std::string& key, const std::string& value);
  // Drops config.OnBuild (absent afterwards).
  void clear_on_build();
};

} // namespace whittle::oci
