#!/bin/bash
# `make install` into a scratch tree, used the way a user would with only
# that tree: the installed encore runs, man finds its pages, a plugin
# builds from the installed
# example source against the installed header through
# `pkg-config --cflags encore-plugin` (never the source tree's include/),
# and loads under the installed encore's simulate; `make uninstall` then
# leaves no file behind.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
ENCORE=${ENCORE:-build/encore}
GUEST_DIR=${GUEST_DIR:-build/guests}
BUILD=$(dirname "$ENCORE")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root prefix=/opt/encore # not a system directory: pkg-config keeps its -I
# The build is there already; the same flags, so make finds it up to date.
mk=(make -s BUILD="$BUILD" DESTDIR="$root" PREFIX="$prefix")
[ "${ENCORE_SANITIZED:-0}" = 1 ] && mk+=(SANITIZE=1)

if "${mk[@]}" install >"$tmp/install.out" 2>&1; then
	ok "make install DESTDIR=... PREFIX=$prefix: $(find "$root" -type f | wc -l) files"
else
	not_ok "make install" "$tmp/install.out"
	finish; exit
fi
bin=$root$prefix/bin/encore
for f in "$bin" "$root$prefix/include/encore/plugin.h" \
	"$root$prefix/share/pkgconfig/encore-plugin.pc" \
	"$root$prefix/share/doc/encore/examples/events.c" \
	"$root$prefix/share/encore/guest/build-guest.sh"; do
	[ -f "$f" ] || not_ok "installed: ${f#"$root"}"
done

# The manual pages, as man finds them in the installed tree.
if command -v man >/dev/null; then
	pages=$(find "$root$prefix/share/man" -type f | wc -l)
	if [ "$pages" = "$(ls man | wc -l)" ] &&
		MANPATH=$root$prefix/share/man man -P cat encore-run 2>/dev/null | grep -q -- '--max-insns'; then
		ok "the $pages manual pages are installed, and man encore-run finds its page"
	else
		not_ok "manual pages: $pages installed, or man encore-run does not find its page"
	fi
else
	skip "the manual pages" "man is not installed (man-db)"
fi

# Bash completion, where bash-completion looks for it.
comp=$root$prefix/share/bash-completion/completions/encore
if [ -f "$comp" ] && bash -n "$comp" && cmp -s "$comp" completion/encore.bash; then
	ok "bash completion installed as share/bash-completion/completions/encore"
else
	not_ok "bash completion: $comp"
fi

if "$bin" --version 2>&1 | grep -q '^encore [0-9]'; then
	ok "the installed encore runs: $("$bin" --version | head -n 1)"
else
	not_ok "the installed encore --version"
fi

# The plugin, as docs/plugins.md tells a user to build one.
export PKG_CONFIG_PATH=$root$prefix/share/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
cflags=$(pkg-config --cflags encore-plugin 2>"$tmp/pc.err")
pc_rc=$?
cflags=${cflags% } # pkg-config ends the list with a space
if [ $pc_rc = 0 ] && [ "$cflags" = "-I$root$prefix/include" ] &&
	[ "$(pkg-config --modversion encore-plugin)" = "$("$bin" --version | sed -n '1s/^encore //p')" ]; then
	ok "pkg-config --cflags encore-plugin: $cflags (the version is encore's)"
else
	not_ok "pkg-config --cflags encore-plugin: '$cflags'" "$tmp/pc.err"
fi
# shellcheck disable=SC2086 # the flags are words
if cc -shared -fPIC $cflags "$root$prefix/share/doc/encore/examples/events.c" \
	-o "$tmp/events.so" 2>"$tmp/cc.err"; then
	ok "the example plugin builds against the installed header alone"
else
	not_ok "cc events.c against the installed header" "$tmp/cc.err"
fi
guest=$GUEST_DIR/hello.elf
if [ -f "$tmp/events.so" ] && [ -f "$guest" ]; then
	"$bin" record -o "$tmp/rec" --kernel "$guest" </dev/null >/dev/null 2>"$tmp/rec.err"
	"$bin" simulate "$tmp/rec" -q --plugin "$tmp/events.so" -o "$tmp/sim" \
		</dev/null >"$tmp/sim.out" 2>"$tmp/sim.err"
	rc=$?
	if [ $rc = 0 ] && [ -s "$tmp/sim/events.txt" ]; then
		ok "the installed encore records hello.elf and simulates it with that plugin"
	else
		not_ok "record + simulate --plugin events.so (exit $rc)" "$tmp/sim.err"
	fi
else
	skip "record + simulate with the built plugin" "no plugin or no $guest"
fi

# The default guest: from the user's cache, which the installed encore
# (with no build tree beside it) finds; without one, one line saying where
# it looked.
guest_dir=$(dirname "$ENCORE")/guest
if [ -r "$guest_dir/vmlinux" ] && [ -r "$guest_dir/initramfs.cpio" ]; then
	mkdir -p "$tmp/cache/encore"
	ln -s "$(realpath "$guest_dir")" "$tmp/cache/encore/guest"
	env -u ENCORE_GUEST_DIR XDG_CACHE_HOME="$tmp/cache" timeout 60 "$bin" run --summary \
		--max-insns 2000000 </dev/null >/dev/null 2>"$tmp/cached.err"
	rc=$?
	if [ $rc = 124 ] && grep -q '^instructions: 2000000$' "$tmp/cached.err"; then
		ok "the installed encore boots the default guest from \$XDG_CACHE_HOME/encore/guest"
	else
		not_ok "default guest from the cache (exit $rc)" "$tmp/cached.err"
	fi
else
	skip "the default guest from the cache" "$guest_dir is not built"
fi
env -u ENCORE_GUEST_DIR -u XDG_CACHE_HOME HOME="$tmp/home" "$bin" run </dev/null \
	>/dev/null 2>"$tmp/noguest.err"
rc=$?
if [ $rc = 2 ] && [ "$(wc -l <"$tmp/noguest.err")" = 1 ] &&
	grep -q "in $tmp/home/.cache/encore/guest, $root$prefix/bin/guest: build one with" "$tmp/noguest.err"; then
	ok "no default guest anywhere: exit 2 and one line naming where it looked"
else
	not_ok "no default guest (exit $rc)" "$tmp/noguest.err"
fi

if "${mk[@]}" uninstall >"$tmp/uninstall.out" 2>&1 &&
	[ -z "$(find "$root" -type f)" ]; then
	ok "make uninstall leaves no file"
else
	not_ok "make uninstall: left $(find "$root" -type f | head -n 3 | tr '\n' ' ')" "$tmp/uninstall.out"
fi
finish
