#include <algorithm>
#include <deque>
#include <set>
#include <whittle/slim/ld_resolver.hpp>
#include <whittle/util/env_list.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/path.hpp>
#include <whittle/util/path_search.hpp>

namespace whittle::slim {

using util::ElfClass;
using util::ElfInfo;

namespace {

constexpr uint16_t k_em_386 = 3;
constexpr uint16_t k_em_arm = 40;
constexpr uint16_t k_em_ppc64 = 21;
constexpr uint16_t k_em_s390 = 22;
constexpr uint16_t k_em_x86_64 = 62;
constexpr uint16_t k_em_aarch64 = 183;
constexpr uint16_t k_em_riscv = 243;

std::vector<std::string>
split_any(const std::string& s, const std::string& seps, bool keep_empty)
{
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find_first_of(seps, i);
    if (j == std::string::npos) {
      j = s.size();
    }
    if (j > i || keep_empty) {
      out.push_back(s.substr(i, j - i));
    }
    i = j + 1;
  }
  return out;
}

// Replaces $NAME and ${NAME} in s with value; returns s unchanged if the token does not occur.
std::string
replace_token(const std::string& s, const std::string& name, const std::string& value)
{
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '$') {
      std::string braced = "${" + name + "}";
      std::string plain = "$" + name;
      if (s.compare(i, braced.size(), braced) == 0) {
        out += value;
        i += braced.size();
        continue;
      }
      if (s.compare(i, plain.size(), plain) == 0) {
        size_t after = i + plain.size();
        bool ident =
            after < s.size() && (std::isalnum(static_cast<unsigned char>(s[after])) || s[after] == '_');
        if (!ident) {
          out += value;
          i = after;
          continue;
        }
      }
    }
    out += s[i++];
  }
  return out;
}

bool
is_musl(const std::string& interpreter)
{
  return util::base_name(interpreter).rfind("ld-musl-", 0) == 0;
}

} // namespace

std::string
multiarch_triplet(uint16_t machine, ElfClass c)
{
  switch (machine) {
  case k_em_x86_64:
    return c == ElfClass::elf64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
  case k_em_386:
    return "i386-linux-gnu";
  case k_em_aarch64:
    return "aarch64-linux-gnu";
  case k_em_arm:
    return "arm-linux-gnueabihf";
  case k_em_ppc64:
    return "powerpc64le-linux-gnu";
  case k_em_s390:
    return "s390x-linux-gnu";
  case k_em_riscv:
    return "riscv64-linux-gnu";
  default:
    return "";
  }
}

std::string
platform_name(uint16_t machine, ElfClass c)
{
  switch (machine) {
  case k_em_x86_64:
    return c == ElfClass::elf64 ? "x86_64" : "x32";
  case k_em_386:
    return "i686";
  case k_em_aarch64:
    return "aarch64";
  case k_em_arm:
    return "v7l";
  case k_em_ppc64:
    return "power8";
  case k_em_s390:
    return "z13";
  case k_em_riscv:
    return "riscv64";
  default:
    return "";
  }
}

LdConf
parse_ld_so_conf(const std::string& text)
{
  LdConf out;
  for (std::string line : split_any(text, "\n", false)) {
    size_t hash = line.find('#');
    if (hash != std::string::npos) {
      line.resize(hash);
    }
    auto words = split_any(line, " \t\r", false);
    if (words.empty()) {
      continue;
    }
    if (words[0] == "include") {
      out.includes.insert(out.includes.end(), words.begin() + 1, words.end());
      continue;
    }
    if (words[0] == "hwcap") {
      continue;
    }
    for (const auto& w : words) {
      for (auto d : split_any(w, ":,", false)) {
        size_t eq = d.find('='); // libc5-era "dir=TYPE"
        if (eq != std::string::npos) {
          d.resize(eq);
        }
        if (!d.empty()) {
          out.dirs.push_back(d);
        }
      }
    }
  }
  return out;
}

std::optional<std::string>
find_on_path(const rootfs::Tree& tree, const std::string& name, const std::string& path_value,
             const std::string& cwd)
{
  return util::find_on_path(name, path_value, cwd, [&](const std::string& candidate) {
    rootfs::Resolution r = tree.resolve(candidate, rootfs::Follow::yes, cwd);
    return r.node && r.node->type == rootfs::NodeType::regular && (r.node->mode & 0111) != 0;
  });
}

struct LdResolver::Obj
{
  std::string path;   // canonical final path
  std::string origin; // $ORIGIN
  const ElfInfo* info = nullptr;
  int loader = -1;
};

LdResolver::LdResolver(const rootfs::Tree& tree, const RootFiles& files, std::vector<std::string> env,
                       std::string cwd)
    : m_tree(tree), m_files(files), m_env(std::move(env)), m_cwd(cwd.empty() ? "/" : util::clamp_to_root(cwd))
{
}

const ElfInfo*
LdResolver::elf(const std::string& path)
{
  auto it = m_elf_cache.find(path);
  if (it != m_elf_cache.end()) {
    return it->second.get();
  }
  std::unique_ptr<ElfInfo> info;
  const rootfs::Node* node = m_tree.find(path);
  if (node && node->type == rootfs::NodeType::regular && node->size >= 52) {
    util::Fd fd = m_files.open(path);
    if (fd) {
      util::FdElfInput in(fd.get());
      try {
        auto parsed = util::read_elf(in, path);
        if (parsed) {
          info = std::make_unique<ElfInfo>(std::move(*parsed));
        }
      } catch (const BadInput& e) {
        m_warnings.push_back(e.what());
      }
    }
  }
  const ElfInfo* raw = info.get();
  m_elf_cache.emplace(path, std::move(info));
  return raw;
}

void
LdResolver::parse_conf(const std::string& path, int depth)
{
  if (depth > 8) {
    return;
  }
  rootfs::Resolution r = m_tree.resolve(path);
  if (!r.node || r.node->type != rootfs::NodeType::regular) {
    return;
  }
  if (std::find(m_conf_seen.begin(), m_conf_seen.end(), r.path) != m_conf_seen.end()) {
    return;
  }
  m_conf_seen.push_back(r.path);
  LdConf conf = parse_ld_so_conf(m_files.read_small(r.path));
  for (const auto& d : conf.dirs) {
    m_conf_dirs->push_back(util::clamp_to_root(d));
  }
  for (const auto& inc : conf.includes) {
    // Relative include patterns are taken relative to the including file's directory, as ldconfig does.
    std::string pattern =
        inc[0] == '/' ? util::clamp_to_root(inc) : util::join_in_root(util::parent_path(path), inc);
    std::string dir = util::parent_path(pattern);
    std::string base = util::base_name(pattern);
    rootfs::Resolution dr = m_tree.resolve(dir);
    if (!dr.node || dr.node->type != rootfs::NodeType::directory) {
      continue;
    }
    for (const auto& child : m_tree.children(dr.path)) {
      if (util::glob_match(base, util::base_name(child))) {
        parse_conf(child, depth + 1);
      }
    }
  }
}

const std::vector<std::string>&
LdResolver::conf_dirs()
{
  if (!m_conf_dirs) {
    m_conf_dirs.emplace();
    parse_conf("/etc/ld.so.conf", 0);
  }
  return *m_conf_dirs;
}

std::vector<std::string>
LdResolver::expand(const std::string& list, const std::string& origin, const ElfInfo& main) const
{
  std::vector<std::string> out;
  std::string triplet = multiarch_triplet(main.machine, main.elf_class);
  std::vector<std::string> libs = {"lib"};
  if (!triplet.empty()) {
    libs.insert(libs.begin(), "lib/" + triplet);
  }
  libs.push_back(main.elf_class == ElfClass::elf64 ? "lib64" : "lib32");
  for (const auto& raw : split_any(list, ":;", true)) {
    std::string d = replace_token(raw, "ORIGIN", origin);
    d = replace_token(d, "PLATFORM", platform_name(main.machine, main.elf_class));
    std::vector<std::string> variants;
    if (replace_token(d, "LIB", "\x01") != d) {
      for (const auto& l : libs) {
        variants.push_back(replace_token(d, "LIB", l));
      }
    } else {
      variants.push_back(d);
    }
    for (const auto& v : variants) {
      if (v.find('$') != std::string::npos) {
        continue; // an unknown token: ld.so drops such an entry
      }
      out.push_back(v.empty() ? m_cwd : util::join_in_root(m_cwd, v));
    }
  }
  return out;
}

std::vector<std::string>
LdResolver::system_dirs(const ElfInfo& main, const std::string& interpreter)
{
  std::vector<std::string> dirs;
  if (is_musl(interpreter)) {
    std::string arch = util::base_name(interpreter);
    arch = arch.substr(8); // "ld-musl-"
    size_t dot = arch.find(".so");
    arch = arch.substr(0, dot);
    std::string text = m_files.read_small("/etc/ld-musl-" + arch + ".path");
    rootfs::Resolution r = m_tree.resolve("/etc/ld-musl-" + arch + ".path");
    if (r.node) {
      text = m_files.read_small(r.path);
    }
    auto listed = split_any(text, ":\n", false);
    if (listed.empty()) {
      listed = {"/lib", "/usr/local/lib", "/usr/lib"};
    }
    for (const auto& d : listed) {
      dirs.push_back(util::clamp_to_root(d));
    }
    return dirs;
  }
  dirs = conf_dirs();
  std::string triplet = multiarch_triplet(main.machine, main.elf_class);
  if (!triplet.empty()) {
    dirs.push_back("/lib/" + triplet);
    dirs.push_back("/usr/lib/" + triplet);
  }
  const char* wide = main.elf_class == ElfClass::elf64 ? "64" : "32";
  dirs.push_back(std::string("/lib") + wide);
  dirs.push_back(std::string("/usr/lib") + wide);
  dirs.push_back("/lib");
  dirs.push_back("/usr/lib");
  return dirs;
}

std::optional<LoadedObject>
LdResolver::find_in(const std::vector<std::string>& dirs, const std::string& name, const ElfInfo& main,
                    LoadResult& result)
{
  for (const auto& dir : dirs) {
    std::string lookup = util::join_in_root(dir, name);
    rootfs::Resolution r = m_tree.resolve(lookup);
    if (!r.node || r.node->type != rootfs::NodeType::regular) {
      continue;
    }
    const ElfInfo* info = elf(r.path);
    if (!info || !main.compatible(*info)) {
      continue;
    }
    // glibc >= 2.33 first tries DIR/glibc-hwcaps/<level>/NAME; which one wins depends on the CPU, so all
    // present variants are kept.
    rootfs::Resolution hw = m_tree.resolve(util::join_in_root(dir, "glibc-hwcaps"));
    if (hw.node && hw.node->type == rootfs::NodeType::directory) {
      for (const auto& level : m_tree.children(hw.path)) {
        std::string variant = util::join_in_root(level, name);
        if (m_tree.resolve(variant).node) {
          result.extra.push_back(variant);
        }
      }
    }
    LoadedObject o;
    o.name = name;
    o.lookup = lookup;
    o.path = r.path;
    o.symlinks = r.symlinks;
    return o;
  }
  return std::nullopt;
}

LoadResult
LdResolver::load(const std::string& path)
{
  LoadResult result;
  rootfs::Resolution pr = m_tree.resolve(path, rootfs::Follow::yes, m_cwd);
  if (!pr.node || pr.node->type != rootfs::NodeType::regular) {
    return result;
  }
  const ElfInfo* main = elf(pr.path);
  if (!main) {
    return result;
  }
  std::vector<Obj> objs;
  std::map<std::string, int> by_name; // DT_NEEDED names, sonames and paths of loaded objects
  std::map<std::string, int> by_path;
  objs.push_back({pr.path, util::parent_path(pr.path), main, -1});
  by_path[pr.path] = 0;
  result.objects.push_back({"", "", util::join_in_root(m_cwd, path), pr.path, pr.symlinks});

  if (!main->interpreter.empty()) {
    rootfs::Resolution ir = m_tree.resolve(main->interpreter);
    if (ir.node) {
      result.objects.push_back(
          {main->interpreter, pr.path, util::clamp_to_root(main->interpreter), ir.path, ir.symlinks});
      if (const ElfInfo* ii = elf(ir.path)) {
        by_path[ir.path] = static_cast<int>(objs.size());
        if (!ii->soname.empty()) {
          by_name[ii->soname] = static_cast<int>(objs.size());
        }
        objs.push_back({ir.path, util::parent_path(ir.path), ii, 0});
      }
    } else {
      result.missing.push_back(main->interpreter + " (interpreter of " + pr.path + ")");
    }
  }
  std::vector<std::string> library_path =
      expand(util::env_lookup(m_env, "LD_LIBRARY_PATH").value_or(""), objs[0].origin, *main);
  if (util::env_lookup(m_env, "LD_LIBRARY_PATH").value_or("").empty()) {
    library_path.clear();
  }
  std::vector<std::string> sys = system_dirs(*main, main->interpreter);

  std::deque<int> queue = {0};
  while (!queue.empty()) {
    int li = queue.front();
    queue.pop_front();
    const Obj loader = objs[static_cast<size_t>(li)];
    for (const auto& name : loader.info->needed) {
      if (by_name.count(name)) {
        continue;
      }
      std::optional<LoadedObject> found;
      if (name.find('/') != std::string::npos) {
        std::string lookup = util::join_in_root(m_cwd, name);
        rootfs::Resolution r = m_tree.resolve(lookup);
        if (r.node && r.node->type == rootfs::NodeType::regular) {
          found = LoadedObject{name, loader.path, lookup, r.path, r.symlinks};
        }
      } else {
        std::vector<std::string> dirs;
        if (!loader.info->runpath) {
          for (int l = li; l >= 0; l = objs[static_cast<size_t>(l)].loader) {
            const Obj& o = objs[static_cast<size_t>(l)];
            if (o.info->rpath && !o.info->runpath) {
              auto e = expand(*o.info->rpath, o.origin, *main);
              dirs.insert(dirs.end(), e.begin(), e.end());
            }
          }
        }
        dirs.insert(dirs.end(), library_path.begin(), library_path.end());
        if (loader.info->runpath) {
          auto e = expand(*loader.info->runpath, loader.origin, *main);
          dirs.insert(dirs.end(), e.begin(), e.end());
        }
        dirs.insert(dirs.end(), sys.begin(), sys.end());
        found = find_in(dirs, name, *main, result);
      }
      if (!found) {
        result.missing.push_back(name + " (needed by " + loader.path + ")");
        by_name[name] = -1;
        continue;
      }
      found->needed_by = loader.path;
      result.objects.push_back(*found);
      auto known = by_path.find(found->path);
      if (known != by_path.end()) {
        by_name[name] = known->second;
        continue;
      }
      const ElfInfo* info = elf(found->path);
      if (!info) {
        continue;
      }
      int idx = static_cast<int>(objs.size());
      // A library's $ORIGIN is the directory of the name it was found under, not of its symlink target.
      objs.push_back({found->path, util::parent_path(found->lookup), info, li});
      by_name[name] = idx;
      by_path[found->path] = idx;
      if (!info->soname.empty()) {
        by_name.emplace(info->soname, idx);
      }
      queue.push_back(idx);
    }
  }
  result.warnings = m_warnings;
  return result;
}

} // namespace whittle::slim
