#include <algorithm>
#include <boost/filesystem.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <whittle/slim/rules.hpp>
#include <whittle/util/bounded_read.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/path.hpp>

namespace whittle::slim {

namespace {

constexpr const char* k_schema = "whittle/rules/v1";

std::vector<std::string>
glob_list(const nlohmann::json& j, const std::string& key, const std::string& what)
{
  std::vector<std::string> out;
  if (!j.is_array()) {
    throw BadInput("parse rules `" + what + "`: `" + key + "` must be an array of globs");
  }
  for (const auto& g : j) {
    if (!g.is_string() || g.get<std::string>().empty() || g.get<std::string>()[0] != '/') {
      throw BadInput("parse rules `" + what + "`: `" + key + "` entries must be absolute path globs, got " +
                     g.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    out.push_back(g.get<std::string>());
  }
  return out;
}

bool
has_wildcard(const std::string& s)
{
  return s.find_first_of("*?[") != std::string::npos;
}

} // namespace

bool
RuleSet::triggered_by(const std::string& path) const
{
  if (when.empty()) {
    return true;
  }
  for (const auto& g : when) {
    if (util::glob_match(g, path)) {
      return true;
    }
  }
  return false;
}

RuleSet
parse_rules(const std::string& json, const std::string& what)
{
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw BadInput("parse rules `" + what + "`: " + e.what());
  }
  if (!j.is_object()) {
    throw BadInput("parse rules `" + what + "`: not a JSON object");
  }
  if (j.value("schema", "") != k_schema) {
    throw BadInput("parse rules `" + what + "`: `schema` must be \"" + k_schema + "\"");
  }
  RuleSet r;
  r.source = what;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (key == "schema") {
      continue;
    }
    if (key == "name" || key == "description") {
      if (!it->is_string()) {
        throw BadInput("parse rules `" + what + "`: `" + key + "` must be a string");
      }
      (key == "name" ? r.name : r.description) = it->get<std::string>();
    } else if (key == "when") {
      r.when = glob_list(*it, key, what);
    } else if (key == "keep") {
      r.keep = glob_list(*it, key, what);
    } else if (key == "strip") {
      if (!it->is_object()) {
        throw BadInput("parse rules `" + what + "`: `strip` must map group names to glob arrays");
      }
      for (auto g = it->begin(); g != it->end(); ++g) {
        if (g.key().empty() || g.key().find_first_of(" :/") != std::string::npos) {
          throw BadInput("parse rules `" + what + "`: strip group name `" + g.key() + "` is invalid");
        }
        r.strip[g.key()] = glob_list(*g, "strip." + g.key(), what);
      }
    } else {
      throw BadInput("parse rules `" + what + "`: unknown key `" + key + "`");
    }
  }
  if (r.name.empty()) {
    throw BadInput("parse rules `" + what + "`: `name` is required");
  }
  return r;
}

RuleSet
read_rules(const std::string& path)
{
  return parse_rules(util::read_bounded(path, k_max_rules_bytes, "rules"), path);
}

std::vector<RuleSet>
read_rules_dir(const std::string& dir)
{
  boost::system::error_code ec;
  std::vector<std::string> files;
  for (boost::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".json") {
      files.push_back(it->path().string());
    }
  }
  if (ec) {
    throw Error("read rules directory `" + dir + "`: " + ec.message());
  }
  std::sort(files.begin(), files.end());
  std::vector<RuleSet> out;
  for (const auto& f : files) {
    out.push_back(read_rules(f));
  }
  return out;
}

std::vector<std::string>
expand_glob(const rootfs::Tree& tree, const std::string& glob, std::vector<std::string>* symlinks)
{
  std::vector<std::string> parts = util::split_components(glob);
  std::string literal = "/";
  size_t i = 0;
  for (; i < parts.size() && !has_wildcard(parts[i]); ++i) {
    literal = util::join_in_root(literal, parts[i]);
  }
  std::set<std::string> out;
  rootfs::Resolution base = tree.resolve(literal);
  if (!base.node) {
    return {};
  }
  if (symlinks) {
    symlinks->insert(symlinks->end(), base.symlinks.begin(), base.symlinks.end());
  }
  if (i == parts.size()) {
    return {base.path};
  }
  // Match the rest of the glob against paths below the resolved base, relative to it.
  std::string rest;
  for (size_t k = i; k < parts.size(); ++k) {
    rest += "/" + parts[k];
  }
  size_t strip = base.path == "/" ? 0 : base.path.size();
  if (util::glob_match(rest, "")) {
    out.insert(base.path);
  }
  for (const auto& p : tree.descendants(base.path)) {
    if (util::glob_match(rest, std::string_view(p).substr(strip))) {
      out.insert(p);
    }
  }
  return {out.begin(), out.end()};
}

std::string
strip_group_of(const std::vector<RuleSet>& rules, const std::string& path)
{
  for (const auto& r : rules) {
    for (const auto& [group, globs] : r.strip) {
      for (const auto& g : globs) {
        if (util::glob_match(g, path)) {
          return group;
        }
      }
    }
  }
  return "";
}

} // namespace whittle::slim
