#include <whittle/archive/whiteout.hpp>
#include <whittle/util/error.hpp>
#include <whittle/util/path.hpp>

namespace whittle::archive {

namespace {

std::string
child_of(const std::string& dir, std::string_view name)
{
  return dir == "/" ? "/" + std::string(name) : dir + "/" + std::string(name);
}

} // namespace

Whiteout
classify_whiteout(const std::string& canonical_path, const std::string& what)
{
  std::string base = util::base_name(canonical_path);
  if (base.compare(0, k_whiteout_prefix.size(), k_whiteout_prefix) != 0) {
    return {};
  }
  std::string dir = util::parent_path(canonical_path);
  if (base == k_opaque_whiteout) {
    return {WhiteoutKind::opaque, dir};
  }
  std::string_view name = std::string_view(base).substr(k_whiteout_prefix.size());
  if (name.empty() || name == "." || name == "..") {
    throw BadInput("apply whiteout in " + what + ": entry `" + canonical_path +
                   "` is malformed (it names no file, \".\" or \"..\")");
  }
  // Other ".wh..wh.*" names are AUFS bookkeeping (".wh..wh.plnk"); like umoci we read them as removing the
  // ".wh.*" name, which no image contains, so they are harmless no-ops.
  return {WhiteoutKind::remove, child_of(dir, name)};
}

std::string
whiteout_path_for(const std::string& p)
{
  std::string base = util::base_name(p);
  if (base.empty()) {
    throw Error("make whiteout for `" + p + "`: the root cannot be removed");
  }
  return child_of(util::parent_path(p), std::string(k_whiteout_prefix) + base);
}

} // namespace whittle::archive
