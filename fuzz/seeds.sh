#!/bin/bash
# Writes the seed corpus of each fuzz target under DIR (default fuzz/corpus, not committed): the small
# blobs of testdata/sample-app.oci.tar, the profiles/ and docs examples, generated tars in every
# compression, reference strings and a few ELF files from the host.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/fuzz/corpus}
mkdir -p "$out" && out=$(cd "$out" && pwd) # absolute: the tars below are written from other directories
mkdir -p "$out"/{fuzz_tar,fuzz_oci_json,fuzz_reference,fuzz_profile,fuzz_elf,fuzz_image_archive,fuzz_apply}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Image JSON: every blob of the sample image under 64 KiB, and its index.json.
tar -xf "$src/testdata/sample-app.oci.tar" -C "$tmp"
for f in "$tmp/index.json" "$tmp"/blobs/sha256/*; do
  if [ "$(stat -c %s "$f")" -lt 65536 ]; then
    cp "$f" "$out/fuzz_oci_json/$(basename "$f").json"
  fi
done

# Layers: small tars of every kind of entry, raw, gzip and zstd (the sample's layers are too big).
mkdir -p "$tmp/t/d/e" && cd "$tmp/t"
echo hello >d/f && ln -s f d/l && ln d/f d/h && mkfifo d/p && touch d/.wh.gone d/e/.wh..wh..opq
tar --format=gnu -cf "$out/fuzz_tar/gnu.tar" d
tar --format=pax -cf "$out/fuzz_tar/pax.tar" d
tar --format=ustar -cf "$out/fuzz_tar/ustar.tar" d
gzip -c "$out/fuzz_tar/pax.tar" >"$out/fuzz_tar/pax.tar.gz"
zstd -q -c "$out/fuzz_tar/gnu.tar" >"$out/fuzz_tar/gnu.tar.zst"
# Sparse files (data between holes) in the GNU and the three pax sparse formats.
mkdir -p "$tmp/s" && truncate -s 64K "$tmp/s/sp" && printf data | dd of="$tmp/s/sp" bs=1 seek=20000 conv=notrunc 2>/dev/null
tar --sparse --format=gnu -cf "$out/fuzz_tar/sparse-gnu.tar" -C "$tmp/s" sp
for v in 0.0 0.1 1.0; do
  tar --sparse --format=pax --sparse-version=$v -cf "$out/fuzz_tar/sparse-pax-$v.tar" -C "$tmp/s" sp
done
cd "$src"

# References.
i=0
for r in oci:/images/app:latest oci:dir oci-archive:/x.tar docker-archive:/x.tar:repo/app:1 \
  /path/img.tar 'oci:/a:b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' \
  docker-archive:x.tar:@sha256:00 oci:/a/b/:tag; do
  printf '%s' "$r" >"$out/fuzz_reference/$i"
  i=$((i + 1))
done

# Profiles: the example of docs/profile.md and a written one from the tests if present.
sed -n '/^```json$/,/^```$/p' "$src/docs/profile.md" | sed '1d;$d' | sed 's/…/x/g' >"$out/fuzz_profile/doc.json"
printf '{"schema":"whittle/profile/v1","image":{"ref":"r","manifest_digest":"","platform":"linux/amd64"},"runs":[],"files":[{"path":"/a","access":["read"]}],"special":[],"syscalls":["read"]}' \
  >"$out/fuzz_profile/min.json"

# ELF: a static and a dynamic executable and a shared library of the host (small ones), plus a script.
for f in /usr/bin/true /usr/lib/x86_64-linux-gnu/libz.so.1 /usr/lib/x86_64-linux-gnu/libacl.so.1; do
  if [ -f "$f" ]; then
    cp -L "$f" "$out/fuzz_elf/$(basename "$f")"
  fi
done
printf '#!/bin/sh -e\necho\n' >"$out/fuzz_elf/script"
# Image archives: a one-layer image as oci-archive (gzip layer) and docker-archive (plain layer, and the
# `<id>/layer.tar` symlink docker save writes for shared layers). Small, so mutations reach every part.
a="$tmp/arch" && mkdir -p "$a/oci/blobs/sha256" "$a/docker/id"
tar --format=pax -cf "$a/layer.tar" -C "$tmp/t" d
gzip -n -c "$a/layer.tar" >"$a/layer.tar.gz"
hex() { sha256sum "$1" | cut -d' ' -f1; }
diff_id=$(hex "$a/layer.tar")
printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/d/f"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$diff_id" >"$a/config.json"
cfg=$(hex "$a/config.json")
lay=$(hex "$a/layer.tar.gz")
cp "$a/config.json" "$a/oci/blobs/sha256/$cfg" && cp "$a/layer.tar.gz" "$a/oci/blobs/sha256/$lay"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}]}' \
  "$cfg" "$(stat -c %s "$a/config.json")" "$lay" "$(stat -c %s "$a/layer.tar.gz")" >"$a/manifest.json"
man=$(hex "$a/manifest.json")
cp "$a/manifest.json" "$a/oci/blobs/sha256/$man"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' \
  "$man" "$(stat -c %s "$a/manifest.json")" >"$a/oci/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$a/oci/oci-layout"
tar --format=ustar -cf "$out/fuzz_image_archive/oci-archive.tar" -C "$a/oci" oci-layout index.json blobs
cp "$a/config.json" "$a/docker/$cfg.json" && cp "$a/layer.tar" "$a/docker/$diff_id.tar"
ln -s "../$diff_id.tar" "$a/docker/id/layer.tar"
printf '[{"Config":"%s.json","RepoTags":["app:latest"],"Layers":["id/layer.tar"]}]' "$cfg" >"$a/docker/manifest.json"
tar --format=ustar -cf "$out/fuzz_image_archive/docker-archive.tar" -C "$a/docker" "$cfg.json" "$diff_id.tar" id manifest.json
# Layer pairs for fuzz_apply ("WHITTLE-LAYER" splits them): links aimed at its sentinel directory
# (absolute, and climbing), then entries, whiteouts, opaque whiteouts and hardlinks through them.
sent=/dev/shm/whittle-fuzz-apply/sentinel
p="$tmp/apply" && mkdir -p "$p/1/etc" "$p/2/escape" "$p/2/up" && cd "$p/1"
echo ok >etc/ok && ln -s "$sent" escape && ln -s "../../../../../..$sent" up && ln etc/ok etc/hard
tar --format=pax -cf ../l1.tar etc escape up
cd "$p/2" && echo pwned >escape/pwned && touch escape/.wh.secret up/.wh..wh..opq escape/.wh..wh..opq
ln -s "$sent/secret" link && tar --format=pax --no-recursion -cf ../l2.tar escape/pwned escape/.wh.secret up/.wh..wh..opq link
tar --format=gnu --no-recursion -cf ../l3.tar escape/.wh..wh..opq
cd "$p" && ln -s "$sent/secret" 1/etc/host && tar --format=ustar -C 1 -cf l4.tar etc/host
n=0
for second in l2.tar l3.tar l4.tar; do
  { cat l1.tar; printf 'WHITTLE-LAYER\n'; cat "$second"; } >"$out/fuzz_apply/pair-$n.tar"
  n=$((n + 1))
done
cp l1.tar "$out/fuzz_apply/single.tar"
cd "$src"
echo "seeds in $out"
