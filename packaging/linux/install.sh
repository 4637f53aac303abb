#!/bin/sh
# Install Spyglass for the current user, under ~/.local; no root needed.
#
#   ./install.sh        (from the unpacked Spyglass-<version>-linux-x86_64 folder)
#
#   ~/.local/opt/spyglass/                    the program (and uninstall.sh)
#   ~/.local/bin/spyglass                     a link to it, for the command line
#   ~/.local/share/applications/spyglass.desktop
#   ~/.local/share/icons/hicolor/*/apps/spyglass.{svg,png}
#
# Every file and folder it creates is listed in ~/.local/opt/spyglass/install-manifest.txt;
# ~/.local/opt/spyglass/uninstall.sh removes exactly those. Installing again replaces the
# previous installation. XDG_DATA_HOME, if set, is used instead of ~/.local/share.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
: "${HOME:?HOME is not set}"
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
opt=$HOME/.local/opt/spyglass
bin_dir=$HOME/.local/bin
apps=$data_home/applications
icons=$data_home/icons/hicolor

[ -x "$here/Spyglass/spyglass" ] || { echo "install.sh: $here/Spyglass/spyglass is missing" >&2; exit 1; }

if [ -e "$opt/install-manifest.txt" ]; then
    echo "Removing the previous installation first"
    sh "$opt/uninstall.sh" --quiet
elif [ -e "$opt" ]; then
    echo "install.sh: $opt exists but was not made by this installer; move it away first" >&2
    exit 1
fi

staging=$(mktemp)
trap 'rm -f "$staging"' EXIT
record() { printf '%s %s\n' "$1" "$2" >> "$staging"; }

# mkdir -p that records each folder it creates, outermost first
make_dirs() {
    missing=""
    d=$1
    while [ ! -d "$d" ]; do
        missing="$d${missing:+
$missing}"
        d=$(dirname "$d")
    done
    [ -n "$missing" ] || return 0
    printf '%s\n' "$missing" | while IFS= read -r d; do
        mkdir "$d"
        record dir "$d"
    done
}

# refresh a desktop cache; a cache file it creates is recorded (uninstall deletes it again)
refresh() {  # refresh CACHE_FILE COMMAND...
    cache=$1; shift
    command -v "$1" >/dev/null 2>&1 || return 0
    had=no; [ -e "$cache" ] && had=yes
    "$@" >/dev/null 2>&1 || true
    if [ "$had" = no ] && [ -e "$cache" ]; then record file "$cache"; fi
}

# the program
make_dirs "$(dirname "$opt")"
cp -R "$here/Spyglass" "$opt"
record tree "$opt"
cp "$here/uninstall.sh" "$opt/uninstall.sh"
chmod 755 "$opt/uninstall.sh"

# the command-line link (an existing spyglass that is not ours is left alone)
make_dirs "$bin_dir"
if [ -L "$bin_dir/spyglass" ] || [ ! -e "$bin_dir/spyglass" ]; then
    ln -sfn "$opt/spyglass" "$bin_dir/spyglass"
    record link "$bin_dir/spyglass"
else
    echo "note: $bin_dir/spyglass exists and is not a link; left as it is" >&2
fi

# icons: scalable SVG and PNG sizes, copied in the icon theme's layout
for src in "$here"/icons/hicolor/*/apps/spyglass.*; do
    rel=${src#"$here/icons/hicolor/"}
    make_dirs "$icons/$(dirname "$rel")"
    cp "$src" "$icons/$rel"
    record file "$icons/$rel"
done

# the menu entry, pointing at the installed program by absolute path. Exec is quoted and
# escaped as the Desktop Entry spec asks (a home folder may contain spaces); TryExec is a plain
# string value.
make_dirs "$apps"
try_exec=$(printf '%s' "$opt/spyglass" | sed 's/\\/\\\\/g')
exec_arg=$(printf '%s' "$opt/spyglass" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g' -e 's/%/%%/g')
while IFS= read -r line; do
    case $line in
        Exec=*) printf 'Exec="%s"\n' "$exec_arg" ;;
        TryExec=*) printf 'TryExec=%s\n' "$try_exec" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$here/spyglass.desktop" > "$apps/spyglass.desktop"
chmod 644 "$apps/spyglass.desktop"
record file "$apps/spyglass.desktop"

refresh "$apps/mimeinfo.cache" update-desktop-database -q "$apps"
refresh "$icons/icon-theme.cache" gtk-update-icon-cache -q -t -f "$icons"

cp "$staging" "$opt/install-manifest.txt"
echo "Spyglass $(cat "$here/VERSION" 2>/dev/null || true) installed in $opt"
case ":${PATH:-}:" in
    *":$bin_dir:"*) echo "Start it from the applications menu or with: spyglass" ;;
    *) echo "Start it from the applications menu or with: $bin_dir/spyglass" ;;
esac
