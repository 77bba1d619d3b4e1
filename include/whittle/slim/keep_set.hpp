#pragma once
// The keep set: which paths of the original image go into the slimmed one, each with the reasons it is
// kept. It is planned as a plain value before anything is written (STYLE rule 7), so it can be printed
// (--debug), tested on hand-made trees and profiles, and reported.
//
// Closure: every profile path that exists; its parent directories; every symlink on the
// way and the final targets; the ELF load closure of every kept ELF file (ld_resolver); shebang
// interpreters (and `env NAME` found on the image's PATH); --include-path (a directory brings its whole
// subtree), --include-exe (found on PATH, with its closure), --include-shell; `keep` globs of rule files
// whose `when` matches a kept path (re-checked until nothing changes); minus --exclude-pattern (a matched
// directory takes its subtree along). The directories the app wrote into are kept.
//
// Scripts (slim::scan_script): the POSIX shell scripts the trace executed (a shebang
// naming sh, dash, bash, ash, busybox sh or `env sh|bash`), the entrypoint's `sh -c TEXT` / `sh FILE`, and
// what they source are scanned; every program they name in command position that is found on the image's
// PATH is kept with its closure (reason `script-command`), so the paths the trace did not take through a
// script still work. Programs found that are shell scripts themselves are scanned too (8 levels, 256
// scripts, 1 MiB each at most). Commands decided at run time (`"$@"`, `$CMD`) and what could not be parsed
// become warnings. KeepOptions::script_scan = false (--no-script-scan) turns it off.
//
// Strong and weak reasons: what was traced, named explicitly or needed to load (profile, entrypoint,
// include-*, elf, shebang, script-command, symlink, parent, written-dir, verify-repair) is never stripped;
// what came in wholesale (a directory's subtree from --include-path, a rule's keep glob) is dropped when a
// strip group matches it, unless strip is off. --exclude-pattern removes anything.
#include <map>
#include <set>
#include <string>
#include <vector>
#include <whittle/rootfs/tree.hpp>
#include <whittle/slim/root_files.hpp>
#include <whittle/slim/rules.hpp>
#include <whittle/trace/profile.hpp>

namespace whittle::slim {

enum class Strength
{
  weak,
  strong
};

class KeepSet
{
public:
  // Adds a reason for path (creating the entry). Returns true if the path was not kept before.
  bool add(const std::string& path, const std::string& reason, Strength s = Strength::strong);
  bool contains(const std::string& path) const { return m_entries.count(path) != 0; }
  // Reasons of a kept path (empty set if not kept).
  const std::set<std::string>& reasons(const std::string& path) const;
  // True if at least one reason of the path is strong.
  bool strong(const std::string& path) const;
  void remove(const std::string& path);
  size_t size() const { return m_entries.size(); }
  // Kept paths in sorted order.
  std::vector<std::string> paths() const;

private:
  struct Entry
  {
    std::set<std::string> reasons;
    bool strong = false;
  };
  std::map<std::string, Entry> m_entries;
};

enum class UserMode
{
  keep,
  nonroot,
  explicit_id
};

struct KeepOptions
{
  std::vector<std::string> include_paths;
  std::vector<std::string> include_exes;
  bool include_shell = false;
  std::vector<std::string> exclude_patterns;
  bool strip = true;
  std::vector<RuleSet> rules;   // shipped rule files and --rules, in order
  std::vector<std::string> env; // the image's Env (PATH, LD_LIBRARY_PATH)
  std::string workdir = "/";
  std::vector<std::string> entrypoint; // Entrypoint + Cmd of the image
  // Paths a failed verify looked up and did not find (slim's self-repair): kept with their closure,
  // reason verify-repair (strong). Those not in the image are ignored.
  std::vector<std::string> repair_paths;
  bool script_scan = true; // keep what executed shell scripts can run (--no-script-scan)
};

struct KeepPlan
{
  KeepSet keep;
  std::map<std::string, std::string>
      removed; // every path of the tree not kept -> "not-traced", "strip:G", "excluded"
  std::vector<std::string> applied_rules; // names of rule files whose `when` matched (base included)
  std::vector<std::string> written_dirs;  // existing directories the app created, removed or wrote entries in
  std::vector<std::string> written_files; // existing files the app wrote to (kept with original content)
  std::vector<std::string> missing;       // libraries, interpreters and include paths not found
  std::vector<std::string> warnings;      // malformed ELF files, scripts' run-time commands and similar
};

// Throws UsageError naming the flag for an --include-path that does not exist in `tree`, an --include-exe
// not found on the image's PATH (options.env), or --include-shell without /bin/sh: what plan_keep_set
// refuses, checkable before any tracing.
void check_includes(const rootfs::Tree& tree, const KeepOptions& options);

// Plans the keep set. Never writes anything; throws UsageError for an --include-path or --include-exe
// that does not exist in the image, BadInput only for inconsistent input.
KeepPlan plan_keep_set(const rootfs::Tree& tree, const RootFiles& files, const trace::Profile& profile,
                       const KeepOptions& options);

} // namespace whittle::slim
