#pragma once
// Rule files (profiles/*.json, schema "whittle/rules/v1", documented in docs/rules.md): what to keep for a
// runtime that loads files lazily or only on error paths (`keep`, applied when a `when` glob matches a kept
// path), and the strip groups (`strip`: group name -> globs) whose names become removal reasons
// ("strip:docs"). Globs use util::glob_match ("*" within a component, "**" across components).
#include <cstdint>
#include <map>
#include <string>
#include <vector>
#include <whittle/rootfs/tree.hpp>

namespace whittle::slim {

struct RuleSet
{
  std::string name;   // "python"; reasons are "rule:<name>"
  std::string source; // file it came from, for messages
  std::string description;
  std::vector<std::string> when; // applies if any kept path matches one (empty: always applies)
  std::vector<std::string> keep; // globs of image paths to keep when it applies
  std::map<std::string, std::vector<std::string>> strip; // group -> globs

  // True if `when` is empty or one of its globs matches path.
  bool triggered_by(const std::string& path) const;
};

// Parses a rule file; throws BadInput naming `what` on invalid JSON, a wrong schema, an unknown key, or
// a glob that is not an absolute path.
RuleSet parse_rules(const std::string& json, const std::string& what);
// The most a rule file may hold (the shipped ones are a few KiB).
constexpr uint64_t k_max_rules_bytes = 16ULL << 20;
// Reads (util::read_bounded) and parses a rule file; throws Error if unreadable, BadInput if invalid, not
// a regular file or over k_max_rules_bytes.
RuleSet read_rules(const std::string& path);
// Reads every *.json of a directory, sorted by file name; throws as read_rules, Error if dir is missing.
std::vector<RuleSet> read_rules_dir(const std::string& dir);

// Paths of the tree a glob names. The glob's literal leading directories are resolved in-root (so
// "/lib/x86_64-linux-gnu/libnss_*" works when /lib is a symlink to usr/lib); matches are canonical real
// paths, and `symlinks` receives the links followed on the way. Sorted, no duplicates.
std::vector<std::string> expand_glob(const rootfs::Tree& tree, const std::string& glob,
                                     std::vector<std::string>* symlinks = nullptr);

// The strip group whose globs match path, or "" (first group in name order).
std::string strip_group_of(const std::vector<RuleSet>& rules, const std::string& path);

} // namespace whittle::slim
