#pragma once
// The image configuration. The raw JSON is kept whole so that fields whittle does not model survive a
// convert unchanged; accessors read and write the fields whittle uses.
#include <whittle/oci/descriptor.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace whittle::oci {

struct HistoryEntry
{
  std::string created;
  std::string created_by;
  std::string comment;
  bool empty_layer = false;
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
  // Value of an Env entry, or "" (e.g. env_value("PATH")).
  std::string env_value(const std::string& name) const;

  void set_user(const std::string& user);
  void set_label(const std::string& key, const std::string& value);
};

} // namespace whittle::oci
