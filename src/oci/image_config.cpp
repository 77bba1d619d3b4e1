#include "json_util.hpp"

#include <algorithm>
#include <whittle/oci/image_config.hpp>
#include <whittle/util/env_list.hpp>
#include <whittle/util/error.hpp>

namespace whittle::oci {

using detail::printable;
using nlohmann::json;

namespace {

const json*
get(const json& j, const char* key)
{
  if (!j.is_object()) {
    return nullptr;
  }
  auto it = j.find(key);
  return (it == j.end() || it->is_null()) ? nullptr : &*it;
}

const json*
runtime(const json& raw)
{
  return get(raw, "config");
}

std::vector<std::string>
string_list(const json* v)
{
  std::vector<std::string> out;
  if (v && v->is_array()) {
    for (const auto& s : *v) {
      out.push_back(s.get<std::string>());
    }
  }
  return out;
}

std::string
string_value(const json* v)
{
  return (v && v->is_string()) ? v->get<std::string>() : "";
}

void
expect(bool ok, const std::string& what, const std::string& field, const char* type)
{
  if (!ok) {
    throw BadInput("parse " + what + ": field `" + field + "` is not " + type);
  }
}

bool
is_string_array(const json& v)
{
  return v.is_array() && std::all_of(v.begin(), v.end(), [](const json& s) { return s.is_string(); });
}

bool
is_string_map(const json& v)
{
  if (!v.is_object()) {
    return false;
  }
  for (const auto& [k, s] : v.items()) {
    (void)k;
    if (!s.is_string()) {
      return false;
    }
  }
  return true;
}

// As docker refuses it at `docker run`: a test that is neither NONE, CMD nor CMD-SHELL, CMD without a
// program, CMD-SHELL without a command, negative durations or retries.
void
validate_healthcheck(const json& h, const std::string& what)
{
  expect(h.is_object(), what, "config.Healthcheck", "an object");
  if (const json* t = get(h, "Test")) {
    expect(is_string_array(*t), what, "config.Healthcheck.Test", "an array of strings");
    if (!t->empty()) {
      std::string kind = (*t)[0].get<std::string>();
      bool ok = (kind == "NONE" && t->size() == 1) || (kind == "CMD" && t->size() >= 2) ||
                (kind == "CMD-SHELL" && t->size() >= 2);
      expect(ok, what, "config.Healthcheck.Test",
             "[\"NONE\"], [\"CMD\", program, args...] or [\"CMD-SHELL\", command]");
    }
  }
  for (const char* key : {"Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"}) {
    if (const json* v = get(h, key)) {
      expect(v->is_number_integer() && v->get<int64_t>() >= 0, what, std::string("config.Healthcheck.") + key,
             "a non-negative integer");
    }
  }
}

// Checks the types of the fields whittle reads, so accessors never meet a surprise later.
void
validate(const json& j, const std::string& what)
{
  expect(j.is_object(), what, "(top level)", "an object");
  for (const char* key : {"architecture", "os", "variant", "created", "author"}) {
    if (const json* v = get(j, key)) {
      expect(v->is_string(), what, key, "a string");
    }
  }
  if (const json* c = get(j, "config")) {
    expect(c->is_object(), what, "config", "an object");
    for (const char* key : {"Entrypoint", "Cmd", "Env"}) {
      if (const json* v = get(*c, key)) {
        expect(is_string_array(*v), what, std::string("config.") + key, "an array of strings");
      }
    }
    for (const char* key : {"User", "WorkingDir", "StopSignal"}) {
      if (const json* v = get(*c, key)) {
        expect(v->is_string(), what, std::string("config.") + key, "a string");
      }
    }
    if (const json* v = get(*c, "ExposedPorts")) {
      expect(v->is_object(), what, "config.ExposedPorts", "an object");
    }
    if (const json* v = get(*c, "Labels")) {
      expect(is_string_map(*v), what, "config.Labels", "an object of strings");
    }
    for (const char* key : {"Shell", "OnBuild"}) {
      if (const json* v = get(*c, key)) {
        expect(is_string_array(*v), what, std::string("config.") + key, "an array of strings");
      }
    }
    if (const json* h = get(*c, "Healthcheck")) {
      validate_healthcheck(*h, what);
    }
  }
  const json* rootfs = get(j, "rootfs");
  if (!rootfs) {
    throw BadInput("parse " + what + ": missing field `rootfs`");
  }
  expect(rootfs->is_object(), what, "rootfs", "an object");
  const json* ids = get(*rootfs, "diff_ids");
  if (!ids) {
    throw BadInput("parse " + what + ": missing field `rootfs.diff_ids`");
  }
  expect(is_string_array(*ids), what, "rootfs.diff_ids", "an array of strings");
  for (size_t i = 0; i < ids->size(); ++i) {
    Digest::parse((*ids)[i].get<std::string>(), what + " rootfs.diff_ids[" + std::to_string(i) + "]");
  }
  if (const json* h = get(j, "history")) {
    expect(h->is_array(), what, "history", "an array");
    for (const auto& e : *h) {
      expect(e.is_object(), what, "history[]", "an object");
      for (const char* key : {"created", "created_by", "comment", "author"}) {
        if (const json* v = get(e, key)) {
          expect(v->is_string(), what, std::string("history[].") + key, "a string");
        }
      }
      if (const json* v = get(e, "empty_layer")) {
        expect(v->is_boolean(), what, "history[].empty_layer", "a boolean");
      }
    }
  }
}

json&
runtime_mut(json& raw)
{
  auto it = raw.find("config");
  if (it == raw.end() || !it->is_object()) {
    raw["config"] = json::object();
  }
  return raw["config"];
}

} // namespace

ImageConfig
ImageConfig::parse(const std::string& text, const std::string& what)
{
  ImageConfig c;
  c.raw = detail::parse_json(text, what);
  validate(c.raw, what);
  return c;
}

std::string
ImageConfig::serialize() const
{
  return detail::canonical_dump(raw, "image config");
}

Platform
ImageConfig::platform() const
{
  Platform p;
  p.os = string_value(get(raw, "os"));
  p.architecture = string_value(get(raw, "architecture"));
  p.variant = string_value(get(raw, "variant"));
  return p;
}

std::vector<Digest>
ImageConfig::diff_ids() const
{
  std::vector<Digest> out;
  const json* rootfs = get(raw, "rootfs");
  for (const auto& s : string_list(rootfs ? get(*rootfs, "diff_ids") : nullptr)) {
    out.push_back(Digest::parse(s, "diff_id"));
  }
  return out;
}

void
ImageConfig::set_diff_ids(const std::vector<Digest>& ids)
{
  json list = json::array();
  for (const auto& d : ids) {
    list.push_back(d.str());
  }
  raw["rootfs"] = {{"type", "layers"}, {"diff_ids", list}};
}

std::vector<HistoryEntry>
ImageConfig::history() const
{
  std::vector<HistoryEntry> out;
  const json* h = get(raw, "history");
  if (!h || !h->is_array()) {
    return out;
  }
  for (const auto& e : *h) {
    HistoryEntry he;
    he.created = string_value(get(e, "created"));
    he.created_by = string_value(get(e, "created_by"));
    he.comment = string_value(get(e, "comment"));
    const json* empty = get(e, "empty_layer");
    he.empty_layer = empty && empty->is_boolean() && empty->get<bool>();
    out.push_back(he);
  }
  return out;
}

void
ImageConfig::set_history(const std::vector<HistoryEntry>& h)
{
  json list = json::array();
  for (const auto& he : h) {
    json e = json::object();
    if (!he.created.empty()) {
      e["created"] = he.created;
    }
    if (!he.created_by.empty()) {
      e["created_by"] = he.created_by;
    }
    if (!he.comment.empty()) {
      e["comment"] = he.comment;
    }
    if (he.empty_layer) {
      e["empty_layer"] = true;
    }
    list.push_back(e);
  }
  raw["history"] = list;
}

std::vector<std::string>
ImageConfig::entrypoint() const
{
  const json* c = runtime(raw);
  return string_list(c ? get(*c, "Entrypoint") : nullptr);
}

std::vector<std::string>
ImageConfig::cmd() const
{
  const json* c = runtime(raw);
  return string_list(c ? get(*c, "Cmd") : nullptr);
}

std::vector<std::string>
ImageConfig::env() const
{
  const json* c = runtime(raw);
  return string_list(c ? get(*c, "Env") : nullptr);
}

std::string
ImageConfig::user() const
{
  const json* c = runtime(raw);
  return string_value(c ? get(*c, "User") : nullptr);
}

std::string
ImageConfig::working_dir() const
{
  const json* c = runtime(raw);
  return string_value(c ? get(*c, "WorkingDir") : nullptr);
}

std::vector<std::string>
ImageConfig::exposed_ports() const
{
  std::vector<std::string> out;
  const json* c = runtime(raw);
  const json* ports = c ? get(*c, "ExposedPorts") : nullptr;
  if (ports && ports->is_object()) {
    for (const auto& [k, v] : ports->items()) {
      (void)v;
      out.push_back(k);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, std::string>
ImageConfig::labels() const
{
  std::map<std::string, std::string> out;
  const json* c = runtime(raw);
  const json* l = c ? get(*c, "Labels") : nullptr;
  if (l && l->is_object()) {
    for (const auto& [k, v] : l->items()) {
      if (v.is_string()) {
        out[k] = v.get<std::string>();
      }
    }
  }
  return out;
}

std::optional<Healthcheck>
ImageConfig::healthcheck() const
{
  const json* c = runtime(raw);
  const json* h = c ? get(*c, "Healthcheck") : nullptr;
  if (!h || !h->is_object()) {
    return std::nullopt;
  }
  Healthcheck out;
  out.test = string_list(get(*h, "Test"));
  if (out.test.empty() || out.test[0] == "NONE") {
    return std::nullopt;
  }
  auto number = [&h](const char* key) {
    const json* v = get(*h, key);
    return v && v->is_number_integer() ? std::max<int64_t>(v->get<int64_t>(), 0) : 0;
  };
  out.interval_ns = number("Interval");
  out.timeout_ns = number("Timeout");
  out.start_period_ns = number("StartPeriod");
  out.start_interval_ns = number("StartInterval");
  out.retries = number("Retries");
  return out;
}

std::vector<std::string>
ImageConfig::shell() const
{
  const json* c = runtime(raw);
  std::vector<std::string> out = string_list(c ? get(*c, "Shell") : nullptr);
  if (out.empty()) {
    out = {"/bin/sh", "-c"};
  }
  return out;
}

std::vector<std::string>
ImageConfig::on_build() const
{
  const json* c = runtime(raw);
  return string_list(c ? get(*c, "OnBuild") : nullptr);
}

std::string
ImageConfig::env_value(const std::string& name) const
{
  return util::env_lookup(env(), name).value_or("");
}

void
ImageConfig::set_user(const std::string& user)
{
  runtime_mut(raw)["User"] = user;
}

void
ImageConfig::set_label(const std::string& key, const std::string& value)
{
  json& c = runtime_mut(raw);
  auto it = c.find("Labels");
  if (it == c.end() || !it->is_object()) {
    c["Labels"] = json::object();
  }
  c["Labels"][key] = value;
}

void
ImageConfig::clear_on_build()
{
  auto c = raw.find("config");
  if (c != raw.end() && c->is_object()) {
    c->erase("OnBuild");
  }
}

} // namespace whittle::oci
