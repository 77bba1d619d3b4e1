#!/bin/sh
# Makes testdata/sample-app.oci.tar, the small sample image of `make demo` (committed; rerun only to refresh).
#
# What it is: a Debian 12 (bookworm) image of ~15 MB unpacked, ~6.5 MB as a gzip oci-archive, running a tiny
# dynamically linked C program (testdata/sample-app/hello.c, compiled here with the host's gcc against
# bookworm's glibc). The app reads /app/share/greeting.txt and /etc/os-release (a symlink to
# ../usr/lib/os-release) and prints, deterministically:
#     Hello from a whittled image, whittle!
#     running on "Debian GNU/Linux 12 (bookworm)"
# What it carries that whittle exists to remove: the rest of glibc (gconv modules, libm, libmvec, ...),
# docs (/usr/share/doc), man pages, locales (sed's message catalogues), a shell (dash as /bin/sh), busybox
# with ~250 applet links (ls, rm, wget, vi, ...), sed, the app's source, and a build directory that a later
# layer deletes.
#
# How: the .debs of libc6 libgcc-s1 dash busybox sed base-files are fetched with `apt-get download` and
# unpacked into a merged-/usr tree (/bin -> usr/bin, /lib -> usr/lib, /lib64 -> usr/lib64, as in bookworm),
# with a minimal /etc/passwd and /etc/group. `podman build --timestamp` on `FROM scratch` then makes three
# layers: ADD the tree; COPY the app (binary, data, source and a build/ leftover); `RUN rm -rf /app/build
# /usr/share/doc/busybox` (real whiteouts, written by buildah). The image runs as root (whittle's slim turns
# that into 65532). It is saved with `podman save`, gzip-compressed by `skopeo copy` (level 9) into an OCI
# layout, and that layout is tarred with sorted names and fixed mtimes.
#
# Reproducible-ish: SOURCE_DATE_EPOCH (default 1700000000) fixes every mtime and the created times; the
# output changes only when Debian ships new versions of those packages or gcc changes. The package versions
# are recorded in the label io.whittle.sample.packages.
#
# Needs: root, Debian 12 with bookworm apt sources, gcc, podman (configured by scripts/install-deps.sh),
# skopeo, dpkg-deb, GNU tar. Usage: testdata/make-sample.sh [OUTPUT] (default testdata/sample-app.oci.tar).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/sample-app.oci.tar}
: "${SOURCE_DATE_EPOCH:=1700000000}"
export SOURCE_DATE_EPOCH
packages="libc6 libgcc-s1 dash busybox sed base-files"
name=localhost/whittle-sample-build:latest

[ "$(id -u)" = 0 ] || { echo "make-sample: run as root (podman build)" >&2; exit 1; }
for tool in apt-get dpkg-deb gcc podman skopeo tar gzip; do
  command -v "$tool" >/dev/null || { echo "make-sample: missing $tool (scripts/install-deps.sh)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/var/tmp}/whittle-sample.XXXXXX")
cleanup() {
  podman rmi -f "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

tarflags="--sort=name --mtime=@$SOURCE_DATE_EPOCH --clamp-mtime --owner=0 --group=0 --numeric-owner
 --format=pax --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime"

# 1. The root filesystem from Debian packages (no maintainer scripts run: nothing needs configuring).
mkdir -p "$work/debs" "$work/root"
(cd "$work/debs" && apt-get download -o APT::Sandbox::User=root $packages >/dev/null)
root=$work/root
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$root/usr/lib64" "$root/etc" "$root/tmp" \
  "$root/var/tmp" "$root/root" "$root/home" "$root/proc" "$root/sys" "$root/dev" "$root/run"
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 700 "$root/root"
versions=""
for deb in "$work"/debs/*.deb; do
  dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$root"
  versions="$versions${versions:+ }$(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version)"
done
[ -e "$root/usr/bin/sh" ] || ln -s dash "$root/usr/bin/sh"
# busybox's applets as links, like a busybox-based image: tools the app never uses.
"$root/usr/bin/busybox" --list-full | while read -r applet; do
  case $applet in
    bin/*) dst=usr/$applet ;;
    sbin/*) dst=usr/$applet ;;
    *) dst=$applet ;;
  esac
  [ -e "$root/$dst" ] || [ -L "$root/$dst" ] || ln -s /usr/bin/busybox "$root/$dst"
done
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
nogroup:x:65534:
EOF
printf 'hosts: files dns\npasswd: files\ngroup: files\n' >"$root/etc/nsswitch.conf"
# shellcheck disable=SC2086
tar $tarflags -C "$root" -cf "$work/rootfs.tar" .

# 2. The app: binary, data, and the cruft a careless Containerfile leaves (source, build dir).
ctx=$work/context
mkdir -p "$ctx/app/bin" "$ctx/app/share" "$ctx/app/src" "$ctx/app/build"
cp "$here/sample-app/hello.c" "$ctx/app/src/hello.c"
cp "$here/sample-app/greeting.txt" "$ctx/app/share/greeting.txt"
gcc -O2 -g0 -Wall -ffile-prefix-map="$ctx"=. -c -o "$ctx/app/build/hello.o" "$ctx/app/src/hello.c"
gcc -o "$ctx/app/bin/hello" "$ctx/app/build/hello.o"
touch -d "@$SOURCE_DATE_EPOCH" "$ctx/app/bin/hello" "$ctx/app/build/hello.o"
mv "$work/rootfs.tar" "$ctx/rootfs.tar"
cat >"$ctx/Containerfile" <<EOF
FROM scratch
ADD rootfs.tar /
COPY app/ /app/
RUN rm -rf /app/build /usr/share/doc/busybox
ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8
WORKDIR /app
LABEL org.opencontainers.image.title="whittle sample app" \\
      org.opencontainers.image.description="Sample image of whittle's demo, made by testdata/make-sample.sh" \\
      io.whittle.sample.packages="$versions"
ENTRYPOINT ["/app/bin/hello"]
CMD ["whittle"]
EOF
podman build -q --network=none --timestamp "$SOURCE_DATE_EPOCH" -f "$ctx/Containerfile" -t "$name" "$ctx" >/dev/null

# 3. Export: gzip layers (level 9) in an OCI layout, then a deterministic tar of that layout.
podman save -q --format oci-archive -o "$work/raw.oci.tar" "$name"
skopeo copy -q --dest-compress --dest-compress-format gzip --dest-compress-level 9 \
  "oci-archive:$work/raw.oci.tar" "oci:$work/layout:latest"
# shellcheck disable=SC2086
tar $tarflags -C "$work/layout" -cf "$out.tmp" oci-layout index.json blobs
mv "$out.tmp" "$out"
echo "make-sample: wrote $out ($(stat -c %s "$out") bytes, sha256 $(sha256sum "$out" | cut -c1-16)...)"
# Check: the archive runs under podman.
id=$(podman pull -q "oci-archive:$out")
podman run --rm --network=none "$id"
podman rmi -f "$id" >/dev/null
