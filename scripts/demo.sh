#!/bin/sh
# The quick-start job: make a small firmware-like file, patch two bytes in place (guarded, so a
# second run reports "already"), flush it, and show what the file and the page cache look like.
set -e
cd "$(dirname "$0")/.."
mmapx() { node bin/mmapx.js "$@"; }
demo=$(mktemp -d "${TMPDIR:-/tmp}/mmapx-demo.XXXXXX")
trap 'rm -rf "$demo"' EXIT
file="$demo/fw.bin"
# 16 KiB: a header, then a "licence check" 74 05 (jz +5) at 0x1f40.
node -e "const b=Buffer.alloc(16384,0x90); b.write('MMAPXFW1'); b[0x1f40]=0x74; b[0x1f41]=0x05; require('fs').writeFileSync(process.argv[1], b)" "$file"
echo "\$ mmapx write fw.bin 0x1f40 eb05 --expect 7405"
mmapx write "$file" 0x1f40 eb05 --expect 7405
echo "\$ mmapx write fw.bin 0x1f40 eb05 --expect 7405   # again: idempotent"
mmapx write "$file" 0x1f40 eb05 --expect 7405
echo "\$ mmapx write fw.bin 0x1f40 9090 --expect 7405   # the bytes are not 74 05 any more: exit 3, file untouched"
mmapx write "$file" 0x1f40 9090 --expect 7405 || echo "(exit status $?)"
echo "\$ mmapx flush fw.bin --range 0x1f40:2"
mmapx flush "$file" --range 0x1f40:2
echo "\$ mmapx info fw.bin"
mmapx info "$file"
