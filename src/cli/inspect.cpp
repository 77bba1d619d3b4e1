// `whittle inspect IMAGE`: the config, per-layer sizes and waste, the largest files of the final tree.
// The JSON shape is documented in docs/inspect.md; keep the two in step.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <whittle/cli/command.hpp>
#include <whittle/oci/image.hpp>
#include <whittle/oci/reference.hpp>
#include <whittle/rootfs/apply.hpp>
#include <whittle/util/log.hpp>

namespace whittle::cli {

namespace {

using nlohmann::json;

constexpr size_t k_largest = 20;

std::string
human_bytes(uint64_t n)
{
  static const char* k_units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(k_units)) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, k_units[u]);
  }
  return buf;
}

std::string
join(const std::vector<std::string>& v, const std::string& sep)
{
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    out += (i ? sep : "") + v[i];
  }
  return out;
}

// A table printed with every column padded to its widest cell; numeric columns right-aligned.
class Table
{
public:
  explicit Table(std::vector<std::string> header, std::vector<bool> right) : m_right(std::move(right))
  {
    m_rows.push_back(std::move(header));
  }
  // Cells hold names from the image: escaped so that none can break a row or drive the terminal.
  void add(std::vector<std::string> row)
  {
    for (auto& cell : row) {
      cell = util::terminal_safe(cell);
    }
    m_rows.push_back(std::move(row));
  }
  std::string str(const std::string& indent) const
  {
    std::vector<size_t> w(m_rows[0].size(), 0);
    for (const auto& r : m_rows) {
      for (size_t c = 0; c < r.size(); ++c) {
        w[c] = std::max(w[c], r[c].size());
      }
    }
    std::ostringstream o;
    for (const auto& r : m_rows) {
      std::string line = indent;
      for (size_t c = 0; c < r.size(); ++c) {
        std::string pad(w[c] - r[c].size(), ' ');
        bool last = c + 1 == r.size();
        line += m_right[c] ? pad + r[c] : (last ? r[c] : r[c] + pad);
        if (!last) {
          line += "  ";
        }
      }
      o << line << "\n";
    }
    return o.str();
  }

private:
  std::vector<bool> m_right;
  std::vector<std::vector<std::string>> m_rows;
};

struct Largest
{
  std::string path;
  uint64_t size;
  int layer;
};

std::vector<Largest>
largest_paths(const rootfs::Tree& tree)
{
  // A bounded heap of the k largest (smallest on top), so memory stays O(k) however large the tree.
  auto cmp = [](const Largest& a, const Largest& b) {
    return a.size != b.size ? a.size > b.size : a.path < b.path;
  };
  std::vector<Largest> heap;
  for (const auto& [path, node] : tree.nodes()) {
    if (node.type != rootfs::NodeType::regular || !node.hardlink_of.empty()) {
      continue;
    }
    if (heap.size() == k_largest && !(node.size > heap.front().size)) {
      continue; // ties keep the earlier (smaller) path, as nodes() is sorted
    }
    heap.push_back({path, node.size, node.layer});
    std::push_heap(heap.begin(), heap.end(), cmp);
    if (heap.size() > k_largest) {
      std::pop_heap(heap.begin(), heap.end(), cmp);
      heap.pop_back();
    }
  }
  std::sort(heap.begin(), heap.end(), cmp);
  return heap;
}

json
inspect_json(const oci::Image& image, const rootfs::ApplyResult& r)
{
  const oci::ImageConfig& cfg = image.config;
  json layers = json::array();
  json totals = {{"layers", image.layers.size()},
                 {"compressed_size", 0},
                 {"uncompressed_size", 0},
                 {"entries", 0},
                 {"files", 0},
                 {"file_bytes", 0},
                 {"waste_bytes", 0},
                 {"waste_files", 0}};
  for (size_t i = 0; i < image.layers.size(); ++i) {
    const oci::Layer& l = image.layers[i];
    const rootfs::LayerStats& s = r.layers[i];
    layers.push_back({{"index", i},
                      {"digest", l.descriptor.digest.str()},
                      {"media_type", l.descriptor.media_type},
                      {"compression", archive::to_string(l.compression)},
                      {"diff_id", l.diff_id.str()},
                      {"compressed_size", l.descriptor.size},
                      {"uncompressed_size", s.uncompressed},
                      {"entries", s.entries},
                      {"files", s.files},
                      {"file_bytes", s.bytes},
                      {"waste_bytes", s.waste_bytes},
                      {"waste_files", s.waste_files}});
    totals["compressed_size"] =
        totals["compressed_size"].get<uint64_t>() + static_cast<uint64_t>(l.descriptor.size);
    for (const char* k :
         {"uncompressed_size", "entries", "files", "file_bytes", "waste_bytes", "waste_files"}) {
      totals[k] = totals[k].get<uint64_t>() + layers.back()[k].get<uint64_t>();
    }
  }
  uint64_t regular = 0;
  for (const auto& [path, node] : r.tree.nodes()) {
    regular += node.type == rootfs::NodeType::regular && node.hardlink_of.empty() ? 1 : 0;
  }
  totals["final_paths"] = r.tree.size() - 1;
  totals["final_files"] = regular;
  totals["final_bytes"] = r.tree.total_bytes();

  json largest = json::array();
  for (const auto& p : largest_paths(r.tree)) {
    largest.push_back({{"path", p.path}, {"size", p.size}, {"layer", p.layer}});
  }
  return {{"reference", image.ref.str()},
          {"manifest_digest", image.manifest_digest.str()},
          {"manifest_media_type", image.manifest.media_type},
          {"config_digest", image.config_digest.str()},
          {"platform", image.platform.str()},
          {"config",
           {{"entrypoint", cfg.entrypoint()},
            {"cmd", cfg.cmd()},
            {"user", cfg.user()},
            {"env", cfg.env()},
            {"working_dir", cfg.working_dir()},
            {"exposed_ports", cfg.exposed_ports()},
            {"labels", cfg.labels()}}},
          {"layers", layers},
          {"largest", largest},
          {"totals", totals}};
}

std::string
quoted_list(const std::vector<std::string>& v)
{
  if (v.empty()) {
    return "-";
  }
  return json(v).dump(-1, ' ', false, json::error_handler_t::replace);
}

void
print_human(const json& j)
{
  std::ostringstream o;
  const json& c = j["config"];
  std::vector<std::string> labels;
  for (const auto& [k, v] : c["labels"].items()) {
    labels.push_back(k + "=" + v.get<std::string>());
  }
  auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
  Table head({"", ""}, {false, false});
  head.add({"Image", j["reference"]});
  head.add({"Manifest", j["manifest_digest"]});
  head.add({"Config", j["config_digest"]});
  head.add({"Platform", j["platform"]});
  head.add({"Entrypoint", quoted_list(c["entrypoint"])});
  head.add({"Cmd", quoted_list(c["cmd"])});
  head.add({"User", or_dash(c["user"])});
  head.add({"WorkingDir", or_dash(c["working_dir"])});
  head.add({"Ports", or_dash(join(c["exposed_ports"], " "))});
  std::string s = head.str("");
  o << s.substr(s.find('\n') + 1); // drop the empty header row
  auto env = c["env"].get<std::vector<std::string>>();
  o << "Env" << (env.empty() ? "         -\n" : "\n");
  for (const auto& e : env) {
    o << "  " << util::terminal_safe(e) << "\n";
  }
  o << "Labels" << (labels.empty() ? "      -\n" : "\n");
  for (const auto& l : labels) {
    o << "  " << util::terminal_safe(l) << "\n";
  }

  o << "\nLayers\n";
  Table layers({"#", "DIGEST", "COMPRESSED", "UNCOMPRESSED", "FILES", "WASTE", "WASTE FILES"},
               {true, false, true, true, true, true, true});
  for (const auto& l : j["layers"]) {
    layers.add({std::to_string(l["index"].get<int>()), l["digest"].get<std::string>().substr(0, 19),
                human_bytes(l["compressed_size"]), human_bytes(l["uncompressed_size"]),
                std::to_string(l["files"].get<uint64_t>()), human_bytes(l["waste_bytes"]),
                std::to_string(l["waste_files"].get<uint64_t>())});
  }
  const json& t = j["totals"];
  layers.add({"", "total", human_bytes(t["compressed_size"]), human_bytes(t["uncompressed_size"]),
              std::to_string(t["files"].get<uint64_t>()), human_bytes(t["waste_bytes"]),
              std::to_string(t["waste_files"].get<uint64_t>())});
  o << layers.str("  ");
  o << "\nFinal tree: " << t["final_paths"].get<uint64_t>() << " paths, " << t["final_files"].get<uint64_t>()
    << " regular files, " << human_bytes(t["final_bytes"]) << "\n";

  o << "\nLargest files\n";
  Table largest({"SIZE", "LAYER", "PATH"}, {true, true, false});
  for (const auto& p : j["largest"]) {
    largest.add({human_bytes(p["size"]), std::to_string(p["layer"].get<int>()), p["path"]});
  }
  o << largest.str("  ");
  std::fputs(util::terminal_safe(o.str(), true).c_str(), stdout);
}

int
run_inspect(const ParsedArgs& args)
{
  oci::ImageRef ref = oci::parse_reference(args.positional.at(0));
  std::optional<oci::Platform> platform;
  if (auto p = args.get("--platform")) {
    platform = oci::Platform::parse(*p);
  }
  oci::Image image = oci::open_image(ref, platform);
  util::verbose("inspect " + ref.str() + ": " + std::to_string(image.layers.size()) + " layers");
  rootfs::ApplyResult r = rootfs::apply_layers(image);
  json j = inspect_json(image, r);
  if (args.has("--json")) {
    // Image paths are raw bytes: invalid UTF-8 is printed as U+FFFD rather than failing after the work.
    std::fputs((j.dump(2, ' ', false, json::error_handler_t::replace) + "\n").c_str(), stdout);
  } else {
    print_human(j);
  }
  return k_exit_ok;
}

} // namespace

Command
inspect_command()
{
  Command c;
  c.spec.name = "inspect";
  c.spec.usage = "IMAGE [options]";
  c.spec.summary = "show an image's config, layers, waste and largest files";
  c.spec.description =
      "Reads every layer once (verifying each blob digest and diff_id) and builds the final tree in memory.\n"
      "Per layer: digest, compressed and uncompressed size, entry count and waste (bytes of that layer's\n"
      "files that later layers replace or delete). Then the 20 largest files of the final tree and totals.\n"
      "With --json the same data is printed as one JSON object; its shape is described in docs/inspect.md.";
  c.spec.flags = {
      {"--platform", "", "OS/ARCH[/VARIANT]",
       "pick this platform from a multi-platform index (default: the host's)"},
  };
  c.spec.min_positional = 1;
  c.spec.max_positional = 1;
  c.run = run_inspect;
  return c;
}

} // namespace whittle::cli
