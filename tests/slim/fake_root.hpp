#pragma once
// A hand-made image root for slim tests: a rootfs::Tree with the metadata plus a directory holding the
// content of its regular files (what a pristine extraction would hold).
#include "support/elf_builder.hpp"
#include "support/test_support.hpp"

#include <sys/stat.h>
#include <whittle/rootfs/tree.hpp>
#include <whittle/slim/root_files.hpp>
#include <whittle/util/path.hpp>

namespace whittle::test {

struct FakeRoot
{
  TestDir dir;
  rootfs::Tree tree;
  slim::RootFiles files{dir.path()};

  void mkdirs(const std::string& p)
  {
    std::string cmd = "mkdir -p '" + dir.path() + p + "'";
    run_command(cmd);
  }
  void file(const std::string& path, const std::string& content, uint32_t mode = 0644, uint32_t uid = 0)
  {
    mkdirs(util::parent_path(path));
    write_file(dir.path() + path, content);
    ::chmod((dir.path() + path).c_str(), mode);
    rootfs::Node n;
    n.type = rootfs::NodeType::regular;
    n.mode = mode;
    n.uid = uid;
    n.gid = uid;
    n.size = content.size();
    n.mtime = 1700000000;
    tree.put(path, n);
  }
  void elf(const std::string& path, const ElfSpec& spec, uint32_t mode = 0755)
  {
    file(path, build_elf(spec).bytes, mode);
  }
  void dir_node(const std::string& path, uint32_t mode = 0755, uint32_t uid = 0)
  {
    mkdirs(path);
    rootfs::Node n;
    n.type = rootfs::NodeType::directory;
    n.mode = mode;
    n.uid = uid;
    n.gid = uid;
    n.mtime = 1700000000;
    tree.put(path, n);
  }
  void symlink(const std::string& path, const std::string& target)
  {
    rootfs::Node n;
    n.type = rootfs::NodeType::symlink;
    n.mode = 0777;
    n.link_target = target;
    n.mtime = 1700000000;
    tree.put(path, n);
  }
  void hardlink(const std::string& path, const std::string& primary)
  {
    rootfs::Node n = *tree.find(primary);
    n.hardlink_of = primary;
    run_command("ln '" + dir.path() + primary + "' '" + dir.path() + path + "'");
    tree.put(path, n);
  }
};

inline ElfSpec
x86_exe(std::vector<std::string> needed, std::string interp = "/lib64/ld-linux-x86-64.so.2")
{
  ElfSpec s;
  s.type = 2;
  s.interpreter = std::move(interp);
  s.needed = std::move(needed);
  return s;
}

inline ElfSpec
x86_lib(std::string soname, std::vector<std::string> needed = {})
{
  ElfSpec s;
  s.soname = std::move(soname);
  s.needed = std::move(needed);
  return s;
}

} // namespace whittle::test
