#include <whittle/util/path.hpp>
#include <whittle/util/path_search.hpp>

namespace whittle::util {

bool
PathEntries::next(std::string_view& entry) noexcept
{
  if (m_done) {
    return false;
  }
  size_t colon = m_rest.find(':');
  entry = m_rest.substr(0, colon);
  if (colon == std::string_view::npos) {
    m_done = true;
  } else {
    m_rest.remove_prefix(colon + 1);
  }
  return true;
}

std::optional<std::string>
find_on_path(std::string_view name, std::string_view path_value, std::string_view cwd,
             const std::function<bool(const std::string&)>& is_executable)
{
  if (name.empty()) {
    return std::nullopt;
  }
  if (name.find('/') != std::string_view::npos) {
    std::string p = join_in_root(cwd, name);
    return is_executable(p) ? std::optional<std::string>(p) : std::nullopt;
  }
  PathEntries entries(path_value);
  for (std::string_view dir; entries.next(dir);) {
    std::string candidate = join_in_root(dir.empty() ? std::string(cwd) : join_in_root(cwd, dir), name);
    if (is_executable(candidate)) {
      return candidate;
    }
  }
  return std::nullopt;
}

} // namespace whittle::util
