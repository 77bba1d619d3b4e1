#pragma once
// Image references in skopeo's transport syntax.
#include <optional>
#include <string>
#include <whittle/oci/digest.hpp>

namespace whittle::oci {

enum class Transport
{
  oci_layout,
  oci_archive,
  docker_archive
};

struct ImageRef
{
  Transport transport = Transport::oci_layout;
  std::string path; // directory (oci) or file (archives)
  std::string tag;  // oci/oci-archive: the ref.name to select/write; docker-archive: "" or NAME:TAG
  std::optional<Digest> digest; // oci:DIR@sha256:...

  // Original text, for messages and reports.
  std::string str() const;
};

// Parses "oci:DIR[:TAG]", "oci:DIR@sha256:HEX", "oci-archive:FILE[:TAG]", "docker-archive:FILE[:NAME[:TAG]]"
// or a bare path: a directory holding `oci-layout`, or a tar file holding `oci-layout` (oci-archive) or
// `manifest.json` (docker-archive). `for_output` allows the target not to exist yet (a bare output path
// ending in ".tar" means oci-archive, otherwise an oci layout dir; an existing bare output directory must
// be empty or an OCI layout). Splitting follows skopeo: the first ':' after the path ends it, so a tag may
// hold colons ("oci:dir:localhost/app:1"). Throws UsageError on a malformed ref, an unsupported transport
// ("docker://", "containers-storage:"), a missing bare input path or a compressed bare archive.
ImageRef parse_reference(const std::string& text, bool for_output = false);

} // namespace whittle::oci
