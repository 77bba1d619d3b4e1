#include <catch2/catch.hpp>
#include <whittle/rootfs/tree.hpp>

using namespace whittle::rootfs;

namespace {

Node
file_node(uint64_t size, int layer = 0)
{
  Node n;
  n.type = NodeType::regular;
  n.size = size;
  n.layer = layer;
  return n;
}

Node
dir_node(uint32_t mode = 0755)
{
  Node n;
  n.type = NodeType::directory;
  n.mode = mode;
  return n;
}

Node
link_node(const std::string& target)
{
  Node n;
  n.type = NodeType::symlink;
  n.link_target = target;
  return n;
}

Node
hardlink_node(const std::string& of, int layer = 0)
{
  Node n;
  n.hardlink_of = of;
  n.layer = layer;
  return n;
}

// A small usr-merged tree with relative, absolute, climbing and looping links.
Tree
sample_tree()
{
  Tree t;
  t.put("/usr/bin/python3.11", file_node(100));
  t.put("/usr/bin/python3", link_node("python3.11"));
  t.put("/usr/lib/x86_64-linux-gnu/libc.so.6", file_node(2000));
  t.put("/bin", link_node("usr/bin"));
  t.put("/lib", link_node("/usr/lib"));
  t.put("/lib64", link_node("../../../../usr/lib")); // climbs past the root: stays at the root
  t.put("/etc/alternatives/py", link_node("/usr/bin/python3"));
  t.put("/usr/local/bin/py", link_node("../../../etc/alternatives/py"));
  t.put("/loop/a", link_node("b"));
  t.put("/loop/b", link_node("a"));
  t.put("/self", link_node("self"));
  t.put("/dangling", link_node("/nowhere/x"));
  t.put("/empty", link_node(""));
  t.put("/escape", link_node("/../../../etc/alternatives"));
  return t;
}

} // namespace

TEST_CASE("rootfs::Tree put creates implicit parents and lists children", "[rootfs]")
{
  Tree t;
  t.put("/a/b/c.txt", file_node(5));
  REQUIRE(t.find("/a") != nullptr);
  CHECK(t.find("/a")->type == NodeType::directory);
  CHECK(t.find("/a")->implicit);
  CHECK(t.find("/a/b")->implicit);
  CHECK(t.find("/a/b/c.txt")->size == 5);
  CHECK(t.size() == 4);

  t.put("/a-x", file_node(1));
  t.put("/a.d/y", file_node(1));
  t.put("/a/z", file_node(1));
  CHECK(t.children("/") == std::vector<std::string>{"/a", "/a-x", "/a.d"});
  CHECK(t.children("/a") == std::vector<std::string>{"/a/b", "/a/z"});
  CHECK(t.descendants("/a") == std::vector<std::string>{"/a/b", "/a/b/c.txt", "/a/z"});
  CHECK(t.children("/a/b/c.txt").empty());

  // An explicit directory replacing an implicit one keeps the children and takes the metadata.
  Node d = dir_node(0700);
  d.uid = 1000;
  t.put("/a", d);
  CHECK_FALSE(t.find("/a")->implicit);
  CHECK(t.find("/a")->mode == 0700);
  CHECK(t.find("/a/b/c.txt") != nullptr);
}

TEST_CASE("rootfs::Tree remove takes the subtree and only it", "[rootfs]")
{
  Tree t;
  t.put("/a/b/c", file_node(5));
  t.put("/a/d", file_node(7));
  t.put("/a-x", file_node(11));
  t.put("/a.d/y", file_node(13));
  std::vector<std::string> seen;
  uint64_t bytes = t.remove("/a", [&](const std::string& p, const Node&, bool) { seen.push_back(p); });
  CHECK(bytes == 12);
  CHECK(t.find("/a") == nullptr);
  CHECK(t.find("/a/b/c") == nullptr);
  CHECK(t.find("/a-x") != nullptr);
  CHECK(t.find("/a.d/y") != nullptr);
  CHECK(seen.size() == 4);
  CHECK(t.remove("/missing") == 0);

  CHECK(t.clear_children("/a.d") == 13);
  CHECK(t.find("/a.d") != nullptr);
  CHECK(t.children("/a.d").empty());

  CHECK(t.clear_children("/") == 11);
  CHECK(t.size() == 1);
  CHECK(t.find("/") != nullptr);
}

TEST_CASE("rootfs::Tree replacing a directory by a file removes its subtree", "[rootfs]")
{
  Tree t;
  t.put("/d/x", file_node(3));
  t.put("/d/y/z", file_node(4));
  uint64_t removed = 0;
  t.put("/d", file_node(1), [&](const std::string&, const Node& n, bool counted) {
    if (counted && n.type == NodeType::regular) {
      removed += n.size;
    }
  });
  CHECK(removed == 7);
  CHECK(t.find("/d")->type == NodeType::regular);
  CHECK(t.find("/d/x") == nullptr);
  CHECK(t.size() == 2);

  // A file as a parent is replaced by an implicit directory.
  t.put("/d/new", file_node(2));
  CHECK(t.find("/d")->type == NodeType::directory);
  CHECK(t.find("/d")->implicit);
}

TEST_CASE("rootfs::Tree hardlink groups share the inode and survive removal of the first name", "[rootfs]")
{
  Tree t;
  Node f = file_node(100);
  f.mode = 0755;
  t.put("/usr/bin/perl5.36", f);
  t.put("/usr/bin/perl", hardlink_node("/usr/bin/perl5.36", 1));
  t.put("/usr/bin/perl2", hardlink_node("/usr/bin/perl", 1)); // a link to a link joins the same group
  CHECK(t.find("/usr/bin/perl")->hardlink_of == "/usr/bin/perl5.36");
  CHECK(t.find("/usr/bin/perl2")->hardlink_of == "/usr/bin/perl5.36");
  CHECK(t.find("/usr/bin/perl")->mode == 0755);
  CHECK(t.find("/usr/bin/perl")->size == 100);
  CHECK(t.find("/usr/bin/perl")->layer == 1);
  CHECK(t.total_bytes() == 100);
  CHECK(t.hardlinks_of("/usr/bin/perl5.36") == std::vector<std::string>{"/usr/bin/perl", "/usr/bin/perl2"});

  // Removing the primary frees nothing: the content lives on under the smallest remaining name.
  bool counted_primary = true;
  uint64_t bytes = t.remove("/usr/bin/perl5.36", [&](const std::string& p, const Node&, bool counted) {
    if (p == "/usr/bin/perl5.36") {
      counted_primary = counted;
    }
  });
  CHECK(bytes == 0);
  CHECK_FALSE(counted_primary);
  CHECK(t.find("/usr/bin/perl")->hardlink_of.empty());
  CHECK(t.find("/usr/bin/perl2")->hardlink_of == "/usr/bin/perl");
  CHECK(t.total_bytes() == 100);

  CHECK(t.remove("/usr/bin/perl2") == 0); // a secondary name never holds bytes of its own
  CHECK(t.remove("/usr/bin/perl") == 100);
  CHECK(t.total_bytes() == 0);
  CHECK(t.hardlinks_of("/usr/bin/perl").empty());

  REQUIRE_THROWS(t.put("/x", hardlink_node("/missing")));
  t.put("/y", file_node(1));
  REQUIRE_THROWS(t.put("/y", hardlink_node("/y")));
}

TEST_CASE("rootfs::Tree resolve follows links the way a chroot does", "[rootfs]")
{
  Tree t = sample_tree();
  struct Case
  {
    const char* path;
    Follow follow;
    const char* cwd;
    const char* expected;
    bool exists;
    std::vector<std::string> symlinks;
  };
  const Case cases[] = {
      {"/usr/bin/python3", Follow::yes, "/", "/usr/bin/python3.11", true, {"/usr/bin/python3"}},
      {"/usr/bin/python3", Follow::no, "/", "/usr/bin/python3", true, {}},
      {"/bin/python3", Follow::yes, "/", "/usr/bin/python3.11", true, {"/bin", "/usr/bin/python3"}},
      {"/bin/python3", Follow::no, "/", "/usr/bin/python3", true, {"/bin"}},
      {"/lib/x86_64-linux-gnu/libc.so.6",
       Follow::yes,
       "/",
       "/usr/lib/x86_64-linux-gnu/libc.so.6",
       true,
       {"/lib"}},
      {"/lib64/x86_64-linux-gnu/libc.so.6",
       Follow::yes,
       "/",
       "/usr/lib/x86_64-linux-gnu/libc.so.6",
       true,
       {"/lib64"}},
      {"/../../../usr/bin/python3.11", Follow::yes, "/", "/usr/bin/python3.11", true, {}},
      {"/usr/local/bin/py",
       Follow::yes,
       "/",
       "/usr/bin/python3.11",
       true,
       {"/usr/local/bin/py", "/etc/alternatives/py", "/usr/bin/python3"}},
      {"python3", Follow::yes, "/usr/bin", "/usr/bin/python3.11", true, {"/usr/bin/python3"}},
      {"../lib/x86_64-linux-gnu/libc.so.6",
       Follow::yes,
       "/usr/bin",
       "/usr/lib/x86_64-linux-gnu/libc.so.6",
       true,
       {}},
      {"../../../../bin/python3.11", Follow::yes, "/usr/bin", "/usr/bin/python3.11", true, {"/bin"}},
      {"/escape/py", Follow::no, "/", "/etc/alternatives/py", true, {"/escape"}},
      {"/dangling", Follow::yes, "/", "/nowhere/x", false, {"/dangling"}},
      {"/dangling", Follow::no, "/", "/dangling", true, {}},
      {"/usr/bin/python3.11/x", Follow::yes, "/", "/usr/bin/python3.11/x", false, {}}, // ENOTDIR
      {"/missing/../usr", Follow::yes, "/", "/usr", false, {}},                        // ENOENT first
      {"/empty", Follow::yes, "/", "/empty", false, {"/empty"}},
      {"/./usr//bin/", Follow::yes, "/", "/usr/bin", true, {}},
      {"/", Follow::yes, "/", "/", true, {}},
  };
  for (const auto& c : cases) {
    INFO("resolve " << c.path << " from " << c.cwd);
    Resolution r = t.resolve(c.path, c.follow, c.cwd);
    CHECK_FALSE(r.loop);
    CHECK(r.path == c.expected);
    CHECK((r.node != nullptr) == c.exists);
    CHECK(r.symlinks == c.symlinks);
  }
}

TEST_CASE("rootfs::Tree resolve reports loops after 40 links", "[rootfs]")
{
  Tree t = sample_tree();
  Resolution r = t.resolve("/loop/a");
  CHECK(r.loop);
  CHECK(r.node == nullptr);
  CHECK(r.symlinks.size() == 40);
  CHECK(t.resolve("/self").loop);
  CHECK_FALSE(t.resolve("/self", Follow::no).loop);

  // A chain of exactly 40 links resolves; 41 does not (Linux MAXSYMLINKS).
  Tree chain;
  chain.put("/target", file_node(1));
  chain.put("/l0", link_node("/target"));
  for (int i = 1; i <= 40; ++i) {
    chain.put("/l" + std::to_string(i), link_node("l" + std::to_string(i - 1)));
  }
  Resolution ok = chain.resolve("/l39");
  CHECK_FALSE(ok.loop);
  CHECK(ok.path == "/target");
  CHECK(ok.symlinks.size() == 40);
  CHECK(chain.resolve("/l40").loop);
}
