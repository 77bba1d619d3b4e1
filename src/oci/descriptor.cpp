#include <whittle/oci/descriptor.hpp>
#include <whittle/util/error.hpp>

namespace whittle::oci {

namespace {

using nlohmann::json;

std::string
normalise_arch(const std::string& a)
{
  if (a == "x86_64" || a == "x86-64") {
    return "amd64";
  }
  if (a == "aarch64") {
    return "arm64";
  }
  return a;
}

const json*
field(const json& j, const char* name)
{
  auto it = j.find(name);
  return (it == j.end() || it->is_null()) ? nullptr : &*it;
}

std::string
string_field(const json& j, const char* name, const std::string& what, bool required)
{
  const json* v = field(j, name);
  if (!v) {
    if (required) {
      throw BadInput("parse " + what + ": missing field `" + name + "`");
    }
    return "";
  }
  if (!v->is_string()) {
    throw BadInput("parse " + what + ": field `" + name + "` is not a string");
  }
  return v->get<std::string>();
}

} // namespace

Platform
Platform::parse(const std::string& s)
{
  Platform p;
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    auto slash = s.find('/', start);
    parts.push_back(s.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) {
    throw UsageError("parse platform `" + s + "`: expected OS/ARCH[/VARIANT], e.g. linux/amd64");
  }
  for (const auto& part : parts) {
    if (part.empty()) {
      throw UsageError("parse platform `" + s + "`: empty component; expected OS/ARCH[/VARIANT]");
    }
  }
  p.os = parts[0];
  p.architecture = normalise_arch(parts[1]);
  p.variant = parts.size() == 3 ? parts[2] : "";
  return p;
}

Platform
Platform::host()
{
  Platform p;
#if defined(__x86_64__)
  p.architecture = "amd64";
#elif defined(__aarch64__)
  p.architecture = "arm64";
#elif defined(__arm__)
  p.architecture = "arm";
  p.variant = "v7";
#elif defined(__i386__)
  p.architecture = "386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  p.architecture = "ppc64le";
#elif defined(__s390x__)
  p.architecture = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  p.architecture = "riscv64";
#else
  p.architecture = "unknown";
#endif
  return p;
}

std::string
Platform::str() const
{
  return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

bool
Platform::matches(const Platform& other) const
{
  if (os != other.os || normalise_arch(architecture) != normalise_arch(other.architecture)) {
    return false;
  }
  if (variant.empty() || variant == other.variant) {
    return true;
  }
  // arm64 images mostly leave the variant out; "v8" is the only arm64 variant.
  return normalise_arch(architecture) == "arm64" && variant == "v8" && other.variant.empty();
}

Descriptor
Descriptor::from_json(const json& j, const std::string& what)
{
  if (!j.is_object()) {
    throw BadInput("parse " + what + ": descriptor is not a JSON object");
  }
  Descriptor d;
  d.media_type = string_field(j, "mediaType", what, true);
  d.digest = Digest::parse(string_field(j, "digest", what, true), what + " digest");
  const json* size = field(j, "size");
  if (!size) {
    throw BadInput("parse " + what + ": missing field `size`");
  }
  if (!size->is_number_integer()) {
    throw BadInput("parse " + what + ": field `size` is not an integer");
  }
  if (size->is_number_unsigned() ? size->get<uint64_t>() > uint64_t(INT64_MAX) : size->get<int64_t>() < 0) {
    throw BadInput("parse " + what + ": field `size` is out of range");
  }
  d.size = size->get<int64_t>();
  if (const json* ann = field(j, "annotations")) {
    if (!ann->is_object()) {
      throw BadInput("parse " + what + ": field `annotations` is not an object");
    }
    for (const auto& [k, v] : ann->items()) {
      if (!v.is_string()) {
        throw BadInput("parse " + what + ": annotation `" + k + "` is not a string");
      }
      d.annotations[k] = v.get<std::string>();
    }
  }
  if (const json* plat = field(j, "platform")) {
    if (!plat->is_object()) {
      throw BadInput("parse " + what + ": field `platform` is not an object");
    }
    Platform p;
    p.os = string_field(*plat, "os", what + " platform", true);
    p.architecture = string_field(*plat, "architecture", what + " platform", true);
    p.variant = string_field(*plat, "variant", what + " platform", false);
    d.platform = p;
  }
  return d;
}

json
Descriptor::to_json() const
{
  json j = {{"mediaType", media_type}, {"digest", digest.str()}, {"size", size}};
  if (!annotations.empty()) {
    j["annotations"] = annotations;
  }
  if (platform) {
    json p = {{"os", platform->os}, {"architecture", platform->architecture}};
    if (!platform->variant.empty()) {
      p["variant"] = platform->variant;
    }
    j["platform"] = p;
  }
  return j;
}

} // namespace whittle::oci
