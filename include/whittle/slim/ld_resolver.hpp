#pragma once
// Library resolution the way the dynamic loader does it, inside the image root and without running
// anything: PT_INTERP, then DT_NEEDED breadth-first with glibc's search order
//   1. DT_RPATH of the loading object and of each object up its loader chain (only objects without
//      DT_RUNPATH; ignored entirely when the loading object has DT_RUNPATH),
//   2. LD_LIBRARY_PATH from the image's Env,
//   3. DT_RUNPATH of the loading object,
//   4. the directories of /etc/ld.so.conf and its `include`d files (what ld.so.cache is built from),
//   5. the default directories (multiarch /lib/<triplet>, /usr/lib/<triplet>, lib64/lib32, /lib, /usr/lib);
// musl's loader (PT_INTERP ld-musl-*) uses /etc/ld-musl-<arch>.path or /lib:/usr/local/lib:/usr/lib
// instead of 4 and 5. $ORIGIN, $LIB and $PLATFORM are expanded ($LIB tries every libdir name a distro
// uses). A candidate is accepted only if it is an ELF object of the same class and machine, as ld.so
// skips incompatible ones. A library is loaded once: a later DT_NEEDED of the same name reuses it.
// Every path is resolved through rootfs::Tree::resolve, so symlinks on the way are recorded.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <whittle/rootfs/tree.hpp>
#include <whittle/slim/root_files.hpp>
#include <whittle/util/elf_reader.hpp>

namespace whittle::slim {

// One object the loader would map.
struct LoadedObject
{
  std::string name;                  // DT_NEEDED name or PT_INTERP as written ("" for the program itself)
  std::string needed_by;             // canonical path of the object that named it ("" for the program)
  std::string lookup;                // the path as found (dir + name), before symlinks
  std::string path;                  // canonical final path after symlinks
  std::vector<std::string> symlinks; // symlinks followed from lookup to path
};

struct LoadResult
{
  std::vector<LoadedObject> objects; // program first, then the interpreter, then libraries in load order
  std::vector<std::string> extra;    // other files ld.so may pick instead (glibc-hwcaps variants)
  std::vector<std::string> missing;  // "NAME (needed by PATH)" that no search found
  std::vector<std::string> warnings; // malformed ELF files met on the way
};

class LdResolver
{
public:
  // env: the image's Env ("NAME=value"); cwd: its WorkingDir (for relative paths), "/" if empty.
  LdResolver(const rootfs::Tree& tree, const RootFiles& files, std::vector<std::string> env,
             std::string cwd = "/");

  // The parsed ELF headers of the regular file at canonical path `path` (cached). Returns nullptr if it is
  // missing, unreadable or not ELF; a malformed ELF also gives nullptr and adds a warning.
  const util::ElfInfo* elf(const std::string& path);

  // The load closure of `path` run as a program (or, for a library, dlopen'ed by a program of its own
  // class). Returns an empty result if `path` does not resolve to an ELF file. Never throws on image
  // content.
  LoadResult load(const std::string& path);

  // Directories from /etc/ld.so.conf and its includes, in order, canonical (parsed once).
  const std::vector<std::string>& conf_dirs();
  // Warnings collected by elf() so far.
  const std::vector<std::string>& warnings() const { return m_warnings; }

private:
  struct Obj;
  std::vector<std::string> expand(const std::string& list, const std::string& origin,
                                  const util::ElfInfo& main) const;
  std::optional<LoadedObject> find_in(const std::vector<std::string>& dirs, const std::string& name,
                                      const util::ElfInfo& main, LoadResult& result);
  std::vector<std::string> system_dirs(const util::ElfInfo& main, const std::string& interpreter);
  void parse_conf(const std::string& path, int depth);

  const rootfs::Tree& m_tree;
  const RootFiles& m_files;
  std::vector<std::string> m_env;
  std::string m_cwd;
  std::map<std::string, std::unique_ptr<util::ElfInfo>> m_elf_cache; // null = not ELF
  std::optional<std::vector<std::string>> m_conf_dirs;
  std::vector<std::string> m_conf_seen;
  std::vector<std::string> m_warnings;
};

// The multiarch triplet Debian uses for an ELF machine ("x86_64-linux-gnu"), or "" if unknown.
std::string multiarch_triplet(uint16_t machine, util::ElfClass c);
// The $PLATFORM value for an ELF machine ("x86_64", "aarch64", "i686"), or "".
std::string platform_name(uint16_t machine, util::ElfClass c);

// Parses ld.so.conf text: returns the directories and the `include` patterns, in order of appearance.
struct LdConf
{
  std::vector<std::string> dirs;
  std::vector<std::string> includes;
};
LdConf parse_ld_so_conf(const std::string& text);

// util::find_on_path over the tree: the first candidate that resolves (relative to cwd) to an executable
// regular file. Returns the candidate path as looked up (before symlinks), or nullopt.
std::optional<std::string> find_on_path(const rootfs::Tree& tree, const std::string& name,
                                        const std::string& path_value, const std::string& cwd = "/");

} // namespace whittle::slim
